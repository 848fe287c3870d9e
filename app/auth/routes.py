"""Views for registering and logging in and out."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.forms import LoginForm, RegistrationForm
from app.extensions import db, login_manager
from app.mail.account_emails import send_email_confirmation
from app.models import (
    USERNAME_PATTERN,
    User,
    normalize_email,
    user_by_email,
    user_by_username,
)
from app.models.types import utcnow
from app.web.form_pages import form_page
from app.web.forms import REPEAT_SUBMIT_INTERVAL, require_button_form
from app.web.login_limit import limit_failures_per_account, login_failed, remember_browser
from app.web.ratelimits import rate_limit
from app.web.sessions import end_session, log_in, log_out, start_session, user_for_session_key
from app.web.urls import safe_next_path

bp = Blueprint("auth", __name__, template_folder="templates")

# Checked when no account matches, so a missing account takes as long as a wrong password.
_DUMMY_PASSWORD_HASH = generate_password_hash("no account has this password")


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    """Flask-Login's hook: the user whose login session the cookie names, while it lasts."""
    return user_for_session_key(session_key)


@form_page(RegistrationForm, "username", public=True)
def register_page(form: RegistrationForm) -> str:
    """The registration form."""
    return render_template("auth/register.html", title="Register", form=form)


def registered_just_now(form: RegistrationForm) -> User | None:
    """The account ``form`` describes, if it was made moments ago with the same name, address
    and password: the form sent twice (a double click).

    Whoever sent it knows the password, so hearing that the account exists tells them nothing a
    login would not; anything else that matches an account stays the usual form error.
    """
    username, email, password = form.username.data, form.email.data, form.password.data
    if not (username and email and password) or not USERNAME_PATTERN.match(username):
        return None  # nothing to compare (or nothing that may reach the database)
    user = user_by_username(username)
    if (
        user is None
        or user.username != username
        or user.email != normalize_email(email)
        or utcnow() - user.created_at > REPEAT_SUBMIT_INTERVAL
        or not user.check_password(password)
    ):
        return None
    return user


def start_login(user: User, remember: bool = False) -> None:
    """Start ``user``'s session: the one way in, for the login form and a new registration.

    The login is a row (``app/web/sessions.py``), committed before the cookie names it. Either
    way this browser has just proved it holds the account (the password, or having set it), so
    the per-account login limit spares it from now on.
    """
    login = start_session(user, remember=remember)
    remember_browser(user)
    db.session.commit()
    log_in(user, login)


def welcome(user: User, emailed: bool = True):
    """Where registering ends: logged in, on the home page, told what to do about the email.

    Whoever sent the form knows the password, so they are logged in as the login form would;
    until they confirm the address the pages they cannot use yet say so.
    """
    start_login(user)
    flash("Welcome to Chirp! You are logged in.", "success")
    if emailed:
        flash(f"To post, confirm your address with the link we sent to {user.email}.", "emailed")
    else:
        flash(
            "We could not send the email that confirms your address. Use "
            "“Send the link again” to try again.",
            "warning",
        )
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@rate_limit(
    "RATELIMIT_REGISTER",
    page=register_page,
    refusal="Too many accounts were made from here",
    retry="try again",
)
def register():
    """Create an account."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        user = User(username=form.username.data, email=form.email.data)
        user.set_password(form.password.data)
        db.session.add(user)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # A simultaneous registration took this name or address after the form's check: the
            # same check now finds it and says which field to change, as if we had been second;
            # unless it was this very form, sent twice at once.
            db.session.rollback()
            first = registered_just_now(form)
            if first is not None:
                return welcome(first)
            if form.validate():
                raise
        else:
            return welcome(user, emailed=send_email_confirmation(user))
    elif form.is_submitted() and (first := registered_just_now(form)) is not None:
        # Sent again once the first one made the account: the same answer, no second email.
        return welcome(first)
    return register_page(form)


@form_page(LoginForm, "password", public=True)
def login_page(form: LoginForm) -> str:
    """The login form."""
    return render_template("auth/login.html", title="Log in", form=form)


@bp.route("/login", methods=["GET", "POST"])
@rate_limit(
    "RATELIMIT_LOGIN", page=login_page, refusal="Too many attempts to log in", retry="try again"
)
@limit_failures_per_account(page=login_page)
def login():
    """Log in; go back to ``next`` if it is a page of this site.

    Someone already logged in (in another tab, say) goes straight there.
    """
    back = safe_next_path(request.args.get("next")) or url_for("main.index")
    if current_user.is_authenticated:
        return redirect(back)
    form = LoginForm()
    if form.validate_on_submit():
        name = form.username.data
        user = user_by_email(name) if "@" in name else user_by_username(name)
        if user is None:
            check_password_hash(_DUMMY_PASSWORD_HASH, form.password.data)
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append("Invalid username or password.")
            login_failed()
        elif user.is_suspended:
            form.username.errors.append("This account has been suspended by the moderators.")
        elif not user.is_active:
            form.username.errors.append("This account has been disabled.")
        else:
            start_login(user, remember=form.remember_me.data)
            return redirect(back)
    return login_page(form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (a POST, so no link or image can log anybody out): the session ends on the
    server, so a copy of its cookies stops working too."""
    require_button_form()
    end_session()
    db.session.commit()
    log_out()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))
