"""Views for admins: who holds which role, granting and revoking roles, the audit log."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.forms import RoleForm
from app.extensions import db
from app.main.routes import page_links, page_of
from app.models import AUDIT_NEWEST_FIRST, audit_entries, record_action, staff_members
from app.permissions import require_role


@bp.route("/", methods=["GET", "POST"])
@require_role("admin")
def roles():
    """The staff list, and the form that changes it."""
    form = RoleForm()
    if form.validate_on_submit():
        user, role = form.user, form.role.data
        if form.revoke.data:
            if user.id == current_user.id and role == "admin":
                form.role.errors.append(
                    "You cannot revoke your own admin role; another admin (or the CLI) can."
                )
            elif not user.revoke_role(role):
                form.role.errors.append(f"{user.username} does not have that role.")
            else:
                record_action(current_user, "role.revoke", user, f"{role}: {form.reason.data}")
                db.session.commit()
                flash(f"{user.username} is no longer {role}.", "success")
                return redirect(url_for("admin.roles"))
        elif not user.grant_role(role):
            form.role.errors.append(f"{user.username} already has that role.")
        else:
            record_action(current_user, "role.grant", user, f"{role}: {form.reason.data}")
            db.session.commit()
            flash(f"{user.username} is now {role}.", "success")
            return redirect(url_for("admin.roles"))
    staff = db.session.scalars(staff_members()).all()
    return render_template("admin/roles.html", title="Admin", form=form, staff=staff)


@bp.route("/audit")
@require_role("admin")
def audit_log():
    """Every moderation and administration action, newest first."""
    page = page_of(audit_entries(), AUDIT_NEWEST_FIRST)
    return render_template(
        "admin/audit.html",
        title="Audit log",
        entries=page.items,
        **page_links("admin.audit_log", page),
    )
