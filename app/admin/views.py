from datetime import datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.accounts import services as account_services
from app.accounts.models import Role, User
from app.accounts.permissions import can
from app.admin.forms import AuditFilterForm, RoleForm, UserFilterForm, role_choices
from app.core.clock import city_tz
from app.core.errors import ServiceError
from app.core.forms import choices
from app.core.models import AuditEntry, OutboxMessage
from app.core.permissions import require
from app.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
PER_PAGE = 50


def _page() -> int:
    return request.args.get("page", 1, type=int) if request.args.get("page", "1").isdigit() else 1


@bp.route("/")
@require(can, "admin.dashboard")
def dashboard():
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    pending_mail = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
    )
    recent = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)).all()
    return render_template("admin/dashboard.html", counts=counts, roles=list(Role), pending_mail=pending_mail,
                           recent=recent)


@bp.route("/users")
@require(can, "admin.manage_users")
def users():
    filters = UserFilterForm(request.args)
    filters.role.choices = [*choices([("", _("All roles"))]), *role_choices()]
    query = select(User).where(User.deleted_at.is_(None)).order_by(User.display_name, User.id)
    if filters.validate():
        if filters.q.data:
            pattern = f"%{filters.q.data.strip().lower()}%"
            query = query.where(or_(func.lower(User.display_name).like(pattern), User.email.like(pattern)))
        if filters.role.data:
            query = query.where(User.role == Role(filters.role.data))
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    forms = {}
    for user in page.items:
        form = RoleForm(formdata=None, user_id=user.id, role=user.role.value)
        form.role.choices = role_choices()
        forms[user.id] = form
    return render_template("admin/users.html", page=page, filters=filters, forms=forms,)


@bp.route("/users/role", methods=["POST"])
@require(can, "admin.manage_users")
def change_role():
    form = RoleForm()
    form.role.choices = role_choices()
    if not form.validate_on_submit() or not form.user_id.data.isdigit():
        flash(_("Please choose a role from the list."), "error")
        return redirect(url_for("admin.users"))
    user = db.session.get(User, int(form.user_id.data)) or abort(404)
    try:
        account_services.set_role(current_user, user, Role(form.role.data))
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is now: %(role)s.", name=user.display_name,
                role=account_services.role_label(user.role)), "success")
    return redirect(request.form.get("back") if request.form.get("back", "").startswith("/admin/users")
                    else url_for("admin.users"))


@bp.route("/audit")
@require(can, "admin.audit_log")
def audit_log():
    filters = AuditFilterForm(request.args)
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.validate():
        if filters.action.data:
            query = query.where(AuditEntry.action.like(f"{filters.action.data.strip()}%"))
        if filters.actor.data:
            query = query.where(func.lower(AuditEntry.actor_label).like(f"%{filters.actor.data.strip().lower()}%"))
        if filters.target_type.data:
            query = query.where(AuditEntry.target_type == filters.target_type.data.strip())
        if filters.since.data:
            query = query.where(AuditEntry.created_at >= datetime.combine(filters.since.data, time(), city_tz()))
        if filters.until.data:
            end = datetime.combine(filters.until.data + timedelta(days=1), time(), city_tz())
            query = query.where(AuditEntry.created_at < end)
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/audit.html", page=page, filters=filters), 200 if not filters.errors else 400


@bp.route("/outbox")
@require(can, "admin.outbox")
def outbox():
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    recipient = request.args.get("to", "").strip()[:254]
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient.lower())
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/outbox.html", page=page, recipient=recipient)
