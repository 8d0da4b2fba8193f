from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import _, format_percent
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import select

from app.callcenter import services
from app.callcenter.forms import (
    ATTEMPT_LABELS,
    OUTCOME_LABELS,
    ActionForm,
    AttemptForm,
    ClaimForm,
    IntakeForm,
    LookupForm,
    SearchForm,
    ServiceForm,
    TalkingPointForm,
)
from app.callcenter.models import Call, CallbackTask, Caller, CallOutcome, ContactPreference, MunicipalService
from app.callcenter.permissions import can
from app.core.actions import run_and_flash
from app.core.errors import ServiceError
from app.core.permissions import require
from app.cycles.models import CITY_CYCLES, Category, Cycle, District
from app.cycles.services import phase_label, phase_of
from app.extensions import db, limiter
from app.proposals.models import Proposal
from app.review.forms import fill_rows

bp = Blueprint("callcenter", __name__, url_prefix="/callcenter", template_folder="templates")


@bp.app_context_processor
def callcenter_helpers():
    return {"can_callcenter": can, "display_phone": services.display_phone,
            "task_status_label": services.task_status_label, "event_label": services.event_label}


def _claim_limit() -> str:
    return current_app.config["CLAIM_RATE_LIMIT"]


def _account_key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _load(model, object_id: int):
    row = db.session.get(model, object_id)
    if row is None:
        abort(404)
    return row


def _form_error(form, error: ServiceError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    (target.errors if target is not None else form.form_errors).append(error.message)


# --- The agent's console ----------------------------------------------------------------------------------------------

@bp.route("/")
@require(can, "console")
def console():
    form = SearchForm(request.args)
    results = services.search_open_proposals(form.q.data) if form.validate() and form.q.data else []
    return render_template("callcenter/console.html", form=form, results=results, briefs=services.cycle_briefs(),
                           no_cycle_point=services.talking_point(services.NO_CYCLE),
                           queue_size=len(services.callback_queue()))


@bp.route("/search")
@require(can, "console")
def search():
    """The results as an HTML fragment, for the console's search-as-you-type."""
    form = SearchForm(request.args)
    if not form.validate():
        return render_template("callcenter/_results.html", results=[], form=form), 422
    return render_template("callcenter/_results.html", results=services.search_open_proposals(form.q.data), form=form)


# --- A call -----------------------------------------------------------------------------------------------------------

def _intake_form() -> IntakeForm:
    form = IntakeForm()
    form.district.fill(db.session, District, order_by=District.name)
    form.category.fill(db.session, Category, order_by=Category.slug)
    cycles = services.submission_cycles()
    fill_rows(form.cycle, cycles, lambda c: c.title, empty_label=_("Choose a budget"))
    if not form.is_submitted() and len(cycles) == 1:
        form.cycle.data = cycles[0].id
    fill_rows(form.service, services.municipal_services(active_only=True), lambda s: s.name,
              empty_label=_("Choose a service"))
    return form


def _intake(form: IntakeForm) -> services.Intake:
    proposal = db.session.get(Proposal, form.proposal.data) if form.proposal.data else None
    details = services.CallerDetails(name=form.name.data or "", phone=form.phone.data or "",
                                     email=form.email.data or "", language=form.language.data,
                                     preferred_contact=ContactPreference(form.preferred_contact.data or "phone"))
    return services.Intake(
        outcome=CallOutcome(form.outcome.data), complaint=form.complaint.data or "", consent=bool(form.consent.data),
        caller=details if form.consent.data else None, district=form.district.row, category=form.category.row,
        cycle=form.cycle.row, title=form.title.data or "", proposal=proposal,
        phone_support=bool(form.phone_support.data), service=form.service.row, language=form.language.data,
        **form.location_values())


@bp.route("/calls/new", methods=["GET", "POST"])
@require(can, "take_calls")
def new_call():
    form = _intake_form()
    chosen = None
    if not form.is_submitted():
        number = request.args.get("proposal", "")
        if number.isdigit() and len(number) < 10:
            form.proposal.data = int(number)
            form.outcome.data = CallOutcome.ATTACHED.value
        complaint = request.args.get("q", "")[:200]
        if complaint:
            form.complaint.data = complaint
    if form.proposal.data:
        chosen = db.session.get(Proposal, form.proposal.data)
    if form.validate_on_submit():
        try:
            result = services.record_call(current_user, _intake(form))
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            db.session.commit()
            if result.claim_code:
                # Shown once, on the next page, then gone: only its hash is stored.
                session["claim_code"] = [result.call.id, result.claim_code]
            flash(_("The call has been recorded."), "success")
            return redirect(url_for("callcenter.call", call_id=result.call.id))
    status = 422 if form.is_submitted() else 200
    return render_template("callcenter/intake.html", form=form, chosen=chosen, services=form.service._rows.values(),
                           outcome_labels=OUTCOME_LABELS), status


@bp.route("/calls/<int:call_id>")
@require(can, "console")
def call(call_id: int):
    row = _load(Call, call_id)
    claim = session.pop("claim_code", None)
    code = claim[1] if claim and claim[0] == row.id else None
    return render_template("callcenter/call.html", call=row, claim_code=code, outcome_labels=OUTCOME_LABELS)


@bp.route("/calls")
@require(can, "console")
def calls():
    return render_template("callcenter/calls.html", calls=services.recent_calls(current_user),
                           outcome_labels=OUTCOME_LABELS)


# --- Callers ----------------------------------------------------------------------------------------------------------

@bp.route("/callers", methods=["GET", "POST"])
@require(can, "callers")
def callers():
    """Find a caller by phone number (a POST, so the number never appears in an address or a log)."""
    form = LookupForm()
    if form.validate_on_submit():
        try:
            caller = services.find_caller(current_user, form.phone.data)
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            db.session.commit()
            if caller is not None:
                return redirect(url_for("callcenter.caller", caller_id=caller.id))
            form.phone.errors.append(_("No caller with this number is on record."))
    status = 422 if form.is_submitted() else 200
    return render_template("callcenter/callers.html", form=form), status


@bp.route("/callers/<int:caller_id>")
@require(can, "callers")
def caller(caller_id: int):
    row = _load(Caller, caller_id)
    services.view_caller(current_user, row)
    db.session.commit()
    calls, tasks = services.caller_history(row)
    return render_template("callcenter/caller.html", caller=row, calls=calls, tasks=tasks, form=ActionForm(),
                           outcome_labels=OUTCOME_LABELS, attempt_labels=ATTEMPT_LABELS)


@bp.route("/callers/<int:caller_id>/forget", methods=["POST"])
@require(can, "callers")
def forget(caller_id: int):
    row = _load(Caller, caller_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_and_flash(lambda: services.forget_caller(current_user, row),
                  _("The caller's contact data have been erased and their callbacks cancelled."))
    return redirect(url_for("callcenter.caller", caller_id=row.id))


# --- Callbacks --------------------------------------------------------------------------------------------------------

@bp.route("/callbacks")
@require(can, "callbacks")
def queue():
    return render_template("callcenter/queue.html", tasks=services.callback_queue(), form=ActionForm(),
                           today=services._today())


@bp.route("/callbacks/<int:task_id>/take", methods=["POST"])
@require(can, "callbacks")
def take(task_id: int):
    task = _load(CallbackTask, task_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    db.session.commit()  # end the read transaction: taking a task starts a write transaction of its own
    try:
        services.take_task(current_user, task)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("callcenter.queue"))
    db.session.commit()
    return redirect(url_for("callcenter.task", task_id=task.id))


@bp.route("/callbacks/<int:task_id>", methods=["GET", "POST"])
@require(can, "callbacks")
def task(task_id: int):
    row = _load(CallbackTask, task_id)
    if not can(current_user, "work_task", row):
        flash(_("Take this callback from the queue first: it is not yours."), "error")
        return redirect(url_for("callcenter.queue"))
    form = AttemptForm()
    if form.validate_on_submit():
        db.session.commit()  # end the read transaction before the write (see services.take_task)
        try:
            services.record_attempt(current_user, row, form.outcome.data)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("callcenter.queue"))
        db.session.commit()
        flash(_("The callback has been recorded."), "success")
        return redirect(url_for("callcenter.queue"))
    if row.caller is not None:
        services.view_caller(current_user, row.caller, purpose="callback")
        db.session.commit()
    return render_template("callcenter/task.html", task=row, form=form, release_form=ActionForm(),
                           news=services.news_text(row, row.language),
                           point=services.talking_point(_task_phase(row), row.language)), 422 if form.errors else 200


def _task_phase(task: CallbackTask) -> str:
    phase = phase_of(task.proposal.cycle)
    return phase.value if phase else services.NO_CYCLE


@bp.route("/callbacks/<int:task_id>/release", methods=["POST"])
@require(can, "callbacks")
def release(task_id: int):
    row = _load(CallbackTask, task_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_and_flash(lambda: services.release_task(current_user, row), _("The callback is back in the queue."))
    return redirect(url_for("callcenter.queue"))


# --- Officials --------------------------------------------------------------------------------------------------------

@bp.route("/dashboard")
@require(can, "dashboard")
def dashboard():
    return render_template("callcenter/dashboard.html", board=services.dashboard(current_user),
                           outcome_labels=OUTCOME_LABELS, percent=format_percent)


@bp.route("/talking-points")
@require(can, "manage")
def talking_points():
    return render_template("callcenter/talking_points.html", points=services.talking_points(),
                           text=services.talking_point)


@bp.route("/talking-points/<key>", methods=["GET", "POST"])
@require(can, "manage")
def talking_point(key: str):
    if key not in services.TALKING_POINT_KEYS:
        abort(404)
    row = next(r for k, _label, r in services.talking_points() if k == key)
    form = TalkingPointForm(obj=row)
    if form.validate_on_submit():
        try:
            services.save_talking_point(current_user, key, form.data)
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("The talking points have been saved."), "success")
            return redirect(url_for("callcenter.talking_points"))
    defaults = {code: services.default_talking_point(key, code) for code in ("fr", "en", "nl")}
    return render_template("callcenter/talking_point_form.html", form=form, key=key,
                           label=services.talking_point_label(key), defaults=defaults), \
        422 if form.is_submitted() else 200


@bp.route("/services")
@require(can, "manage")
def service_list():
    return render_template("callcenter/services.html", items=services.municipal_services(), form=ActionForm())


@bp.route("/services/new", methods=["GET", "POST"], defaults={"service_id": None})
@bp.route("/services/<int:service_id>/edit", methods=["GET", "POST"])
@require(can, "manage")
def service_form(service_id: int | None):
    row = _load(MunicipalService, service_id) if service_id else None
    form = ServiceForm(obj=row)
    if form.validate_on_submit():
        try:
            services.save_service(current_user, form.data, row)
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("The service has been saved."), "success")
            return redirect(url_for("callcenter.service_list"))
    return render_template("callcenter/service_form.html", form=form, service=row), \
        422 if form.is_submitted() else 200


@bp.route("/services/<int:service_id>/active", methods=["POST"])
@require(can, "manage")
def service_active(service_id: int):
    row = _load(MunicipalService, service_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    run_and_flash(lambda: services.set_service_active(current_user, row, active),
                  _("The service is offered to agents again.") if active
                  else _("The service is no longer offered to agents."))
    return redirect(url_for("callcenter.service_list"))


@bp.route("/settings")
@require(can, "manage")
def settings():
    cycles = db.session.scalars(select(Cycle).where(CITY_CYCLES)
                                 .order_by(Cycle.created_at.desc(), Cycle.id.desc())).all()
    return render_template("callcenter/settings.html", cycles=cycles, form=ActionForm(),
                           phase_of=phase_of, phase_label=phase_label)


@bp.route("/settings/<int:cycle_id>/phone-supports", methods=["POST"])
@require(can, "manage")
def phone_supports(cycle_id: int):
    cycle = _load(Cycle, cycle_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    allowed = request.form.get("allowed") == "1"
    run_and_flash(lambda: services.set_phone_supports(current_user, cycle, allowed),
                  _("Supports by phone are now allowed in this budget.") if allowed
                  else _("Supports by phone are no longer allowed in this budget."))
    return redirect(url_for("callcenter.settings"))


# --- Residents: claim a proposal entered by phone ---------------------------------------------------------------------

@bp.route("/claim", methods=["GET", "POST"])
@login_required
@limiter.limit(_claim_limit, key_func=_account_key, methods=["POST"])
@limiter.limit(_claim_limit, methods=["POST"])
def claim():
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            proposal = services.claim_proposal(current_user, form.code.data)
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("This proposal is now yours: you will find it in “My proposals”."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("callcenter/claim.html", form=form), 422 if form.is_submitted() else 200
