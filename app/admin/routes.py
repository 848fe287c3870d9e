"""Views for admins: who holds which role, granting and revoking roles, the audit log."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin.forms import RoleForm
from app.extensions import db
from app.listings.moderation import audit_entries
from app.listings.pages import page_links, page_of
from app.models import record_action, staff_members
from app.web.form_pages import form_page
from app.web.permissions import require_role

bp = Blueprint("admin", __name__, template_folder="templates")


def change_role(form: RoleForm) -> str | None:
    """Grant or revoke the role the form names; returns why not, or None once committed."""
    user, role = form.user, form.role.data
    if form.revoke.data:
        if user.id == current_user.id and role == "admin":
            return "You cannot revoke your own admin role; another admin (or the CLI) can."
        if not user.revoke_role(role):
            return f"{user.username} does not have that role."
        action = "role.revoke"
    else:
        if not user.grant_role(role):
            return f"{user.username} already has that role."
        action = "role.grant"
    record_action(current_user, action, user, f"{role}: {form.reason.data}")
    try:
        db.session.commit()
    except (sa.exc.IntegrityError, so.exc.StaleDataError):
        # Another admin made the same change at the same moment.
        db.session.rollback()
        return f"Someone else just changed the roles of {user.username}; see the list."
    return None


@bp.route("/", methods=["GET", "POST"])
@require_role("admin")
def roles():
    """The staff list, and the form that changes it."""
    form = RoleForm()
    if form.validate_on_submit():
        problem = change_role(form)
        if problem is None:
            verb = "no longer" if form.revoke.data else "now"
            flash(f"{form.user.username} is {verb} {form.role.data}.", "success")
            return redirect(url_for("admin.roles"))
        form.role.errors.append(problem)
    return roles_page(form)


@form_page(RoleForm, "reason", role="admin", refill=["admin.roles"])
def roles_page(form: RoleForm) -> str:
    """The staff list, and ``form`` to change it."""
    staff = db.session.scalars(staff_members()).all()
    return render_template("admin/roles.html", title="Admin", form=form, staff=staff)


@bp.route("/audit")
@require_role("admin")
def audit_log():
    """Every moderation and administration action, newest first."""
    page = page_of(audit_entries())
    return render_template(
        "admin/audit.html",
        title="Audit log",
        entries=page.items,
        **page_links("admin.audit_log", page),
    )
