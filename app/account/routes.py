"""Views for the account lifecycle."""

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from app.account.devices import describe_device
from app.account.export import export_json
from app.account.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    NewPasswordForm,
    ResetRequestForm,
)
from app.extensions import db
from app.mail import tokens
from app.mail.account_emails import (
    send_email_change,
    send_email_changed_notice,
    send_email_confirmation,
    send_password_changed_notice,
    send_password_reset,
)
from app.models import User, end_session_of, normalize_email, sessions_of, user_by_email
from app.models.notifications import Notification, touch_recipients_of
from app.models.types import utcnow
from app.web.form_pages import form_page
from app.web.forms import EmptyForm, require_button_form
from app.web.login_limit import remember_browser
from app.web.ratelimits import rate_limit, user_or_address
from app.web.sessions import (
    current_session_id,
    end_session,
    log_out,
    renew_session,
    switch_session,
)

bp = Blueprint("account", __name__, template_folder="templates")

NOT_SENT = "We could not send the email just now. Please try again in a few minutes."


def _bad_link(what: str):
    """A 400 page for a link that is forged, expired or already used."""
    return render_template("account/bad_link.html", title="Link not valid", what=what), 400


class SessionRow(NamedTuple):
    """A login session as the sessions list shows it."""

    id: str
    device: str
    ip_address: str | None
    created_at: datetime
    last_seen: datetime
    remembered_until: datetime | None
    is_current: bool


def session_rows() -> list[SessionRow]:
    """The current user's live sessions, this browser's first, then the most recently used."""
    current = current_session_id()
    rows = [
        SessionRow(
            id=row.id,
            device=describe_device(row.user_agent),
            ip_address=row.ip_address,
            created_at=row.created_at,
            last_seen=row.last_seen,
            remembered_until=row.expires_at if row.remember else None,
            is_current=row.id == current,
        )
        for row in db.session.scalars(sessions_of(current_user))
    ]
    return sorted(rows, key=lambda row: not row.is_current)  # a stable sort: keeps the rest


@bp.route("/")
@login_required
def settings():
    """The account page: the address and its state, where one is logged in, and links to every
    account action."""
    return render_template(
        "account/settings.html", title="Account settings", sessions=session_rows()
    )


@bp.route("/sessions/<session_id>/end", methods=["POST"])
@login_required
def log_out_session(session_id: str):
    """Log out another of one's sessions (the sessions list offers it for each but this
    browser's, which the navigation's "Log out" ends)."""
    require_button_form()
    # Somebody else's session, or one that ended meanwhile, gets the same answer: nothing here
    # tells whether another account's session exists.
    ended = end_session_of(current_user.id, session_id)
    db.session.commit()
    if ended:
        flash("That session is logged out.", "success")
    else:
        flash("That session had already ended.", "info")
    return redirect(url_for("account.settings"))


@bp.route("/sessions/end-others", methods=["POST"])
@login_required
def log_out_other_sessions():
    """Log out every session of one's account but this browser's."""
    require_button_form()
    current_user.end_sessions(keep=current_session_id())
    db.session.commit()
    flash("Your other sessions are logged out.", "success")
    return redirect(url_for("account.settings"))


@bp.route("/resend-confirmation", methods=["POST"])
@login_required
@rate_limit("RATELIMIT_ACCOUNT_EMAIL", key=user_or_address)
def resend_confirmation():
    """Send the confirmation link again."""
    require_button_form()
    if current_user.is_confirmed:
        flash("Your email address is already confirmed.", "info")
    elif send_email_confirmation(current_user):
        flash(f"We sent a new confirmation link to {current_user.email}.", "emailed")
    else:
        flash(NOT_SENT, "error")
    return redirect(url_for("main.index"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Confirm an address: the emailed link shows a button, the button (a POST) confirms."""
    user = tokens.user_for_email_confirmation(token)
    if user is None:
        return _bad_link("confirmation")
    if user.is_confirmed:
        flash("Your email address is already confirmed.", "info")
        return redirect(url_for("main.index"))
    form = EmptyForm()
    if form.validate_on_submit():
        user.email_confirmed_at = utcnow()
        db.session.commit()
        flash("Thank you: your email address is confirmed, and you can post now.", "success")
        return redirect(url_for("main.index"))
    return render_template(
        "account/confirm.html",
        title="Confirm your email address",
        form=form,
        address=user.email,
        action=url_for("account.confirm_email", token=token),
    )


def per_address_asked() -> str:
    """Limit key: the email address a reset is asked for, whoever asks, so one inbox can't be
    flooded."""
    return "reset:" + normalize_email(request.form.get("email", ""))


@form_page(ResetRequestForm, "email", public=True)
def reset_request_page(form: ResetRequestForm) -> str:
    """The form that asks for a reset link."""
    return render_template("account/reset_request.html", title="Reset your password", form=form)


@form_page(lambda: ChangeEmailForm(current_user.email), "email")
def change_email_page(form: ChangeEmailForm) -> str:
    """The form that moves the account to a new address."""
    return render_template("account/change_email.html", title="Change email address", form=form)


@bp.route("/reset-password", methods=["GET", "POST"])
@rate_limit(
    "RATELIMIT_PASSWORD_RESET",
    page=reset_request_page,
    refusal="Too many reset links were asked for",
)
@rate_limit(
    "RATELIMIT_PASSWORD_RESET",
    key=per_address_asked,
    page=reset_request_page,
    refusal="Too many reset links were asked for",
)
def reset_request():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("account.change_password"))
    form = ResetRequestForm()
    if form.validate_on_submit():
        address = normalize_email(form.email.data)
        if send_password_reset(address, user_by_email(address)):
            flash(
                f"We sent an email to {address}. Follow the link in it within "
                f"{tokens.valid_for(tokens.RESET_PASSWORD)} to choose a new password.",
                "emailed",
            )
            return redirect(url_for("auth.login"))
        form.email.errors.append(NOT_SENT)
    return reset_request_page(form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through an emailed link; every existing session ends."""
    user = tokens.user_for_password_reset(token)
    if user is None:
        return _bad_link("password reset")
    form = NewPasswordForm(user.username)
    if form.validate_on_submit():
        if not user.is_confirmed:
            user.email_confirmed_at = utcnow()  # they just read mail sent to that address
        user.set_password(form.password.data)  # every session of the account ends
        logged_in = current_user.is_authenticated
        if logged_in:
            end_session()  # whoever's this browser was
        db.session.commit()
        if logged_in:
            log_out()
        send_password_changed_notice(user)  # a failure is logged; the reset itself is done
        remember_browser(user)  # it read the owner's mail: spared by the per-account limit
        flash("Your password has been changed. Log in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template(
        "account/reset_password.html", title="Choose a new password", form=form, user=user
    )


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; this session stays, every other one ends."""
    form = ChangePasswordForm(current_user.username)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        changed = user.check_password(form.current_password.data)
        if changed:
            user.set_password(form.password.data)  # every session of the account ends
        elif user.check_password(form.password.data):
            # The password already is the new one: this form was sent twice (a double click)
            # and the first one changed it. Knowing it, the sender gets the first one's answer;
            # the session the first one gave this browser ends, this answer's replaces it.
            user.end_sessions()
        else:
            form.current_password.errors.append("That is not your current password.")
            return change_password_page(form)
        # This browser goes on with a new session key (and CSRF secret); every other one ended.
        login = renew_session(user)
        db.session.commit()
        switch_session(user, login)
        if changed:
            send_password_changed_notice(user)
        flash("Your password has been changed. Other devices have been logged out.", "success")
        return redirect(url_for("account.settings"))
    return change_password_page(form)


def change_password_page(form: ChangePasswordForm) -> str:
    """The form that changes the password."""
    return render_template("account/change_password.html", title="Change password", form=form)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@rate_limit(
    "RATELIMIT_ACCOUNT_EMAIL",
    key=user_or_address,
    page=change_email_page,
    refusal="You have asked for many address changes",
)
def change_email():
    """Ask to move the account to a new address; it changes once the link sent there is used."""
    form = ChangeEmailForm(current_user.email)
    if form.validate_on_submit():
        new_email = normalize_email(form.email.data)
        if not current_user.check_password(form.password.data):
            form.password.errors.append("That is not your current password.")
        elif send_email_change(current_user, new_email):
            flash(
                f"We sent a link to {new_email}. Your address changes when you follow it.",
                "emailed",
            )
            return redirect(url_for("account.settings"))
        else:
            form.email.errors.append(NOT_SENT)
    return change_email_page(form)


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    """Confirm a new address: the emailed link shows a button, the button (a POST) moves."""
    change = tokens.email_change(token)
    if change is None:
        return _bad_link("email change")
    user, new_email = change
    form = EmptyForm()
    if form.validate_on_submit():
        if user_by_email(new_email) is not None:
            flash("That email address has been registered by someone else meanwhile.", "error")
            return redirect(url_for("main.index"))
        old_email = user.email
        user.email = new_email
        user.email_confirmed_at = utcnow()
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()  # taken by a simultaneous registration
            flash("That email address has been registered by someone else meanwhile.", "error")
        else:
            send_email_changed_notice(user, old_email)
            flash(f"Your email address is now {new_email}.", "success")
        return redirect(url_for("main.index"))
    return render_template(
        "account/confirm.html",
        title="Confirm your new email address",
        form=form,
        address=new_email,
        action=url_for("account.confirm_email_change", token=token),
    )


@bp.route("/export")
@login_required
def export():
    """Download everything one has put into Chirp as JSON, streamed as it is read."""
    user = db.session.get(User, current_user.id)
    chunks = export_json(user, current_app.config["EXPORT_BATCH_SIZE"])
    response = Response(stream_with_context(chunks), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="chirp-{user.username}.json"'
    response.cache_control.no_store = True
    return response


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete():
    """Delete the account; the database removes its posts and follows with it."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors.append("That is not your password.")
        else:
            # Its notifications to others go with it: their counts change.
            touch_recipients_of(Notification.actor_id == current_user.id)
            # ON DELETE CASCADE on post.user_id, both followers columns, the login sessions and
            # notifications does the rest.
            db.session.execute(sa.delete(User).where(User.id == current_user.id))
            db.session.commit()
            log_out()
            flash("Your account and everything in it have been deleted. Goodbye!", "info")
            return redirect(url_for("auth.login"))
    return render_template("account/delete.html", title="Delete account", form=form)
