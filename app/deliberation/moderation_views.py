"""Reports from residents, and the moderators' pages: queue, decisions, suspensions, forbidden words."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import _, format_datetime
from flask_login import current_user, login_required

from app.accounts.models import User
from app.accounts.services import is_suspended, role_label
from app.core.clock import as_utc
from app.core.errors import NotAllowed, ServiceError
from app.core.permissions import require
from app.core.security import safe_next
from app.deliberation import moderation
from app.deliberation.models import Comment, ForbiddenWord, Suspension
from app.deliberation.moderation_forms import (
    ConfirmForm,
    DecisionForm,
    QueueFilterForm,
    ReportForm,
    SuspendForm,
    WordForm,
)
from app.deliberation.moderation_permissions import can
from app.extensions import db
from app.proposals.models import Proposal

bp = Blueprint("moderation", __name__, url_prefix="/moderation", template_folder="templates")


@bp.app_context_processor
def moderation_helpers():
    return {
        "can_moderation": can,
        "moderation_reason_label": moderation.reason_label,
        "moderation_hidden_label": moderation.hidden_label,
        "moderation_is_suspended": is_suspended,
        "moderation_active_suspension": moderation.active_suspension,
        "moderation_waiting": moderation.waiting_count,
    }


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _back_to(target) -> str:
    """The public page where the reported content lives."""
    if isinstance(target, Comment):
        return url_for("proposals.show", proposal_id=target.proposal_id, _anchor=f"comment-{target.id}")
    return url_for("proposals.show", proposal_id=target.id)


def _field_error(form, error: ServiceError) -> str | None:
    """Put a service's message on its field; return it when it concerns no field (shown above the form)."""
    target = getattr(form, error.field, None) if error.field else None
    if target is None:
        return str(error.message)
    target.errors = [*target.errors, error.message]
    return None


# --- Reports -----------------------------------------------------------------------------------------------------

@bp.route("/report/<target_type>/<int:target_id>", methods=["GET", "POST"])
@login_required
def report(target_type: str, target_id: int):
    target = moderation.reportable_target(target_type, target_id)
    if target is None:
        abort(404)
    if not can(current_user, "report"):
        abort(403)
    proposal = target if isinstance(target, Proposal) else db.session.get(Proposal, target.proposal_id)
    already = moderation.open_report_of(current_user, target_type, target_id) is not None
    form = ReportForm()
    status, problem = 200, None
    if form.validate_on_submit():
        try:
            moderation.report(current_user, target, form.reason.data, form.details.data or "")
        except moderation.AlreadyReported as error:
            db.session.rollback()
            flash(str(error.message), "info")
            return redirect(_back_to(target))
        except ServiceError as error:
            db.session.rollback()
            problem = _field_error(form, error)
            status = 429 if isinstance(error, moderation.RateLimited) else 403 if isinstance(error, NotAllowed) \
                else 422
        else:
            db.session.commit()
            flash(_("Thank you. Moderators will look at your report."), "success")
            return redirect(_back_to(target))
    elif form.is_submitted():
        status = 422
    return render_template("moderation/report.html", form=form, target=target, target_type=target_type,
                           proposal=proposal, already=already, back=_back_to(target),
                           suspended=is_suspended(current_user), problem=problem), status


# --- The queue and decisions -------------------------------------------------------------------------------------

@bp.route("/")
@require(can, "moderate")
def queue():
    filters = QueueFilterForm(request.args)
    valid = filters.validate()
    status = filters.status.data if valid and filters.status.data else "open"
    target_type = filters.type.data if valid and filters.type.data else ""
    if not valid:
        filters.status.data, filters.type.data = status, target_type
    page = moderation.queue(status=status, target_type=target_type, page=_page())
    return render_template("moderation/queue.html", filters=filters, page=page, status=status,
                           form=DecisionForm(formdata=None)), 200 if valid else 400


DONE_MESSAGES = {
    "restore": lambda: _("The content is shown again."),
    "dismiss": lambda: _("The reports are dismissed; the content stays as it is."),
    "approve": lambda: _("The comment is approved and published."),
    "reject": lambda: _("The comment is rejected: it stays out of sight."),
}


@bp.route("/<target_type>/<int:target_id>/<decision>", methods=["POST"])
@require(can, "moderate")
def decide(target_type: str, target_id: int, decision: str):
    if target_type not in moderation.TARGET_TYPES or decision not in moderation.DECISIONS:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moderation.decide(current_user, target_type, target_id, decision, form.reason.data)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        if decision == "hide":
            flash(_("Hidden. Readers now see “%(label)s”.", label=moderation.hidden_label(form.reason.data)),
                  "success")
        else:
            flash(DONE_MESSAGES[decision](), "success")
    return redirect(safe_next(url_for("moderation.queue")))


# --- Suspensions -------------------------------------------------------------------------------------------------

def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/suspend", methods=["GET", "POST"])
@require(can, "moderate")
def suspend(user_id: int):
    user = _load_user(user_id)
    if not can(current_user, "suspend", user):
        abort(403)
    form = SuspendForm()
    status, problem = 200, None
    if form.validate_on_submit():
        try:
            moderation.suspend(current_user, user, int(form.days.data), form.reason.data)
        except ServiceError as error:
            db.session.rollback()
            problem = _field_error(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("%(name)s is suspended until %(date)s.", name=user.display_name,
                    date=_format_until(user)), "success")
            return redirect(url_for("moderation.suspensions"))
    elif form.is_submitted():
        status = 422
    return render_template("moderation/suspend.html", form=form, user=user, role_label=role_label,
                           current=moderation.active_suspension(user), lift_form=ConfirmForm(),
                           problem=problem), status


def _format_until(user) -> str:
    return format_datetime(as_utc(user.suspended_until), "short")


@bp.route("/suspensions")
@require(can, "suspensions")
def suspensions():
    return render_template("moderation/suspensions.html", rows=moderation.active_suspensions(), form=ConfirmForm(),
                           role_label=role_label)


@bp.route("/suspensions/<int:suspension_id>/lift", methods=["POST"])
@require(can, "suspensions")
def lift(suspension_id: int):
    row = db.session.get(Suspension, suspension_id)
    if row is None:
        abort(404)
    if not can(current_user, "suspend", row.user):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        moderation.lift(current_user, row)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The suspension of %(name)s is lifted.", name=row.user.display_name), "success")
    return redirect(url_for("moderation.suspensions"))


# --- Forbidden words ---------------------------------------------------------------------------------------------

@bp.route("/words", methods=["GET", "POST"])
@require(can, "words")
def words():
    form = WordForm()
    status, problem = 200, None
    if form.validate_on_submit():
        try:
            row = moderation.add_forbidden_word(current_user, form.word.data)
        except ServiceError as error:
            db.session.rollback()
            problem = _field_error(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("“%(word)s” is added: comments containing it will wait for approval.", word=row.word),
                  "success")
            return redirect(url_for("moderation.words"))
    elif form.is_submitted():
        status = 422
    return render_template("moderation/words.html", form=form, rows=moderation.forbidden_words(),
                           remove_form=ConfirmForm(formdata=None), problem=problem), status


@bp.route("/words/<int:word_id>/delete", methods=["POST"])
@require(can, "words")
def remove_word(word_id: int):
    row = db.session.get(ForbiddenWord, word_id)
    if row is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    word = row.word
    moderation.remove_forbidden_word(current_user, row)
    db.session.commit()
    flash(_("“%(word)s” is removed from the list.", word=word), "success")
    return redirect(url_for("moderation.words"))
