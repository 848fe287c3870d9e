// Progressive enhancement only: every page works without this file.
"use strict";

function characters(count) {
  return `${count} character${count === 1 ? "" : "s"}`;
}

// Live "characters left" counters for textareas that declare data-counter and data-max.
// The counter is read with the box (aria-describedby); a hidden live region speaks up only when
// the text nears or passes the limit, not at every key press.
function setUpCounters() {
  document.querySelectorAll("textarea[data-counter][data-max]").forEach((box) => {
    const output = document.getElementById(box.dataset.counter);
    const max = Number(box.dataset.max);
    if (!output || !max) return;
    const notice = document.createElement("span");
    notice.className = "visually-hidden";
    notice.setAttribute("aria-live", "polite");
    output.after(notice);
    const described = (box.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    box.setAttribute("aria-describedby", [...described, output.id].join(" "));
    let announced = "";
    const update = () => {
      // Count characters as the server does: code points, so an emoji is one, not two.
      const left = max - [...box.value.trim()].length;
      output.textContent = left >= 0 ? `${characters(left)} left` : `${characters(-left)} too many`;
      output.classList.toggle("counter-over", left < 0);
      const state = left < 0 ? "over" : left <= 20 ? "near" : "";
      if (state !== announced) {
        notice.textContent = state ? output.textContent : "";
        announced = state;
      }
    };
    box.addEventListener("input", update);
    update();
  });
}

// Relative times ("5 minutes ago") move on while a page stays open. Same wording and units as
// app/timefmt.py; the clock is the server's (the page says when it was made), so a visitor whose
// own clock is wrong still reads the right thing.
const UNITS = [
  [365 * 86400, "year"],
  [30 * 86400, "month"],
  [7 * 86400, "week"],
  [86400, "day"],
  [3600, "hour"],
  [60, "minute"],
];

function relativeTime(seconds) {
  if (seconds < 45) return "just now";
  for (const [length, name] of UNITS) {
    if (seconds >= length) {
      const count = Math.floor(seconds / length);
      return `${count} ${name}${count === 1 ? "" : "s"} ago`;
    }
  }
  return "1 minute ago";
}

function keepTimesFresh() {
  const renderedAt = Date.parse(document.body.dataset.renderedAt);
  if (Number.isNaN(renderedAt)) return;
  const skew = renderedAt - Date.now();
  setInterval(() => {
    const now = Date.now() + skew;
    // Only the words change: the exact time after them, for screen readers, stays.
    document.querySelectorAll("time[data-relative] .time-ago").forEach((words) => {
      const when = Date.parse(words.parentElement.dateTime);
      if (!Number.isNaN(when)) words.textContent = relativeTime(Math.floor((now - when) / 1000));
    });
  }, 30 * 1000);
}

// A form sent back with errors puts the cursor in the first field to fix, so keyboard and
// screen-reader users start there (and hear its error) instead of at the top of the page. A page
// that chose its own field with autofocus (the login form after a wrong password) keeps it, and
// so does a visitor who already moved on while this script was on its way.
function focusFirstError() {
  const invalid = document.querySelector("[aria-invalid=true]");
  const untouched = document.activeElement === document.body;
  if (invalid && untouched && !document.querySelector("[autofocus]")) invalid.focus();
}

// Screen readers announce a live region's changes, not what it held when the page loaded: a
// flash message (from the form just sent) would go unheard. So each one's text is put back a
// moment after load, which they then read out. Meanwhile the eye still reads it: a copy hidden
// from screen readers stands in, so the box never shows up empty.
function announceFlashes() {
  document.querySelectorAll(".flash[role], .flash > [role]").forEach((flash) => {
    const text = flash.textContent;
    const standIn = document.createElement("span");
    standIn.setAttribute("aria-hidden", "true");
    standIn.textContent = text;
    flash.replaceChildren(standIn);
    setTimeout(() => flash.replaceChildren(text), 250);
  });
}

// A double click sends a form once. The second click would send the same request again while
// the first is on its way: after a password change, that one carries the session the change
// just ended, and its answer logs the browser out. Coming back to the page (back button) or
// ten seconds without an answer lets the form be sent again.
function sendFormsOnce() {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.method !== "post" || event.defaultPrevented) return;
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "yes";
    setTimeout(() => delete form.dataset.sending, 10 * 1000);
  });
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-sending]").forEach((form) => delete form.dataset.sending);
  });
}

// The reply box comes focused with "@name " in it: the cursor goes after the name, where the
// reply begins (browsers put it before the text). Chromium may apply autofocus after
// DOMContentLoaded, so the box is focused here rather than waiting for it; a field the reader
// already chose keeps the focus.
function caretAfterPrefill() {
  const box = document.querySelector("textarea[autofocus]");
  const active = document.activeElement;
  if (!box || (active && active !== document.body && active !== box)) return;
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}

// A card's "more" menu is a <details>: it works without this file. With it, the menu behaves
// like the menus people know: one open at a time, closed by a click elsewhere, and Escape
// closes it and puts the focus back on its button.
function closeMenusLikeMenus() {
  const openMenus = () => document.querySelectorAll("details.post-more[open]");
  document.addEventListener("click", (event) => {
    openMenus().forEach((menu) => {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    openMenus().forEach((menu) => {
      const focusWasInside = menu.contains(document.activeElement);
      menu.open = false;
      if (focusWasInside) menu.querySelector("summary").focus();
    });
  });
}

// Like buttons (app/templates/_macros/posts.html) toggle in place: the form goes with fetch, and
// the button's pressed state (its heart), its count (shown, and said in its name) and where the
// form sends next change where they are, so the reader keeps their place. Any answer but the
// JSON one (a session that ended, a rate limit, a post hidden meanwhile, no network) sends the
// form the ordinary way instead, and its page explains. Registered after sendFormsOnce: a click
// while one is on its way is dropped.
function likeInPlace() {
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-like]") || event.defaultPrevented) return;
    event.preventDefault();
    let answer = null;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (response.ok && type.startsWith("application/json")) answer = await response.json();
    } catch {
      answer = null;
    }
    delete form.dataset.sending;
    if (!answer) {
      form.submit();
      return;
    }
    form.action = answer.action;
    const button = form.querySelector("button[aria-pressed]");
    button.setAttribute("aria-pressed", String(answer.liked));
    const count = button.querySelector("[data-like-count]");
    count.textContent = String(answer.count);
    count.hidden = answer.count === 0;
    // As the template says it: ", 1 like", ", 3 likes", nothing at none.
    const words = answer.count === 0 ? "" : `, ${answer.count} ${answer.words}`;
    button.querySelector("[data-like-words]").textContent = words;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  announceFlashes();
  setUpCounters();
  keepTimesFresh();
  focusFirstError();
  caretAfterPrefill();
  sendFormsOnce();
  closeMenusLikeMenus();
  likeInPlace();
});
