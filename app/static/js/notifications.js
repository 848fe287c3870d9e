// Keeps the navigation's notification count current without a reload. The page works without
// it: the count is in the HTML, and the bell is a plain link to /notifications.
//
// It asks the bell's data-unread-url every data-poll-seconds with the ETag of the last answer:
// while nothing changed the server answers 304 at the cost of one look at the user row. While
// the tab is hidden it waits longer and longer (up to half an hour), and asks at once when the
// tab is shown again; after an error it also waits longer.
(function () {
  "use strict";
  var bell = document.querySelector(".nav-bell[data-unread-url]");
  if (!bell || !window.fetch) {
    return;
  }
  var url = bell.getAttribute("data-unread-url");
  var base = Math.max(1, Number(bell.getAttribute("data-poll-seconds")) || 60) * 1000;
  var longest = 30 * 60 * 1000;
  var badge = bell.querySelector(".bell-count");
  var etag = null;
  var delay = base;
  var timer = null;

  // The badge as the server renders it: the count and, for screen readers, "unread"; empty
  // and hidden when there is nothing unread.
  function show(answer) {
    if (!answer.unread) {
      badge.replaceChildren();
      badge.hidden = true;
      return;
    }
    var number = document.createElement("span");
    number.textContent = answer.label;
    var words = document.createElement("span");
    words.className = "visually-hidden";
    words.textContent = " unread";
    badge.replaceChildren(number, words);
    badge.hidden = false;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  function poll() {
    var headers = { Accept: "application/json" };
    if (etag) {
      headers["If-None-Match"] = etag;
    }
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) {
          return null;
        }
        if (!response.ok) {
          throw new Error("unread count: " + response.status);
        }
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (answer) {
        if (answer) {
          show(answer);
        }
        delay = document.hidden ? Math.min(delay * 2, longest) : base;
        schedule();
      })
      .catch(function () {
        delay = Math.min(delay * 2, longest);
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      delay = base;
      poll();
    }
  });
  schedule();
})();
