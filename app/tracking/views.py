from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import _, format_percent
from flask_login import current_user
from sqlalchemy import func, select

from app.core.clock import local_now
from app.core.errors import NotAllowed, ServiceError
from app.core.permissions import require
from app.cycles.models import CITY_CYCLES, Cycle
from app.cycles.services import cycle_allows
from app.extensions import db
from app.proposals.models import Proposal
from app.tracking import services
from app.tracking.forms import ActionForm, TrackingForm, UpdateForm
from app.tracking.models import ProjectTracking, TrackingUpdate
from app.tracking.permissions import can

bp = Blueprint("tracking", __name__, template_folder="templates")

PHOTO_MAX_AGE = 365 * 24 * 3600  # a photo's token changes with its content: it can be cached for good


def percent(value: int) -> str:
    return format_percent((value or 0) / 100)


@bp.app_context_processor
def tracking_helpers():
    return {
        "tracking_for": services.tracking_for,
        "tracking_status_label": services.status_label,
        "tracking_percent": percent,
        "can_tracking": can,
    }


def _cycle(slug: str) -> Cycle:
    return db.session.scalar(select(Cycle).where(Cycle.slug == slug[:80], CITY_CYCLES)) or abort(404)


def _tracking(tracking_id: int) -> ProjectTracking:
    return db.session.get(ProjectTracking, tracking_id) or abort(404)


def _field_error(form, error: ServiceError) -> None:
    target = getattr(form, error.field or "", None)
    if target is None:  # every service error of this feature names a field; keep the page usable if one does not
        target = next(iter(f for f in form if f.name != "csrf_token"))
    target.errors = [*target.errors, error.message]


# --- public ----------------------------------------------------------------------------------------------------


@bp.route("/budgets/<slug>/outcomes")
def outcomes(slug: str):
    cycle = _cycle(slug)
    items = services.outcomes(cycle)
    totals = services.totals(items)
    return render_template("tracking/outcomes.html", cycle=cycle, items=items, totals=totals,
                           statuses=services.STATUS_ORDER)


@bp.route("/tracking/photos/<token>")
def photo(token: str):
    row = services.photo_by_token(token)
    if row is None or not can(current_user, "view", row):
        abort(404)
    response = make_response(row.data)
    response.headers["Content-Type"] = row.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = f"public, max-age={PHOTO_MAX_AGE}, immutable"
    response.headers["Content-Disposition"] = "inline"
    return response


# --- staff -----------------------------------------------------------------------------------------------------


@bp.route("/tracking/")
@require(can, "manage")
def index():
    cycles = db.session.scalars(select(Cycle).where(CITY_CYCLES)
                                 .order_by(Cycle.created_at.desc(), Cycle.id.desc())).all()
    counts = dict(db.session.execute(
        select(Proposal.cycle_id, func.count()).where(Proposal.status.in_(services.TRACKABLE))
        .group_by(Proposal.cycle_id)
    ).all())
    return render_template("tracking/index.html", cycles=cycles, counts=counts)


@bp.route("/tracking/cycles/<slug>")
@require(can, "manage")
def cycle_projects(slug: str):
    cycle = _cycle(slug)
    return render_template("tracking/cycle.html", cycle=cycle, items=services.outcomes(cycle),
                           can_track=cycle_allows(cycle, "track"), action_form=ActionForm())


@bp.route("/tracking/proposals/<int:proposal_id>/open", methods=["POST"])
@require(can, "manage")
def open_tracking(proposal_id: int):
    proposal = db.session.get(Proposal, proposal_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        tracking = services.open_tracking(current_user, proposal)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("tracking.cycle_projects", slug=proposal.cycle.slug))
    db.session.commit()
    flash(_("Tracking is open for “%(title)s”.", title=proposal.display_title), "success")
    return redirect(url_for("tracking.edit", tracking_id=tracking.id))


@bp.route("/tracking/<int:tracking_id>", methods=["GET", "POST"])
@require(can, "manage")
def edit(tracking_id: int):
    tracking = _tracking(tracking_id)
    form = TrackingForm(obj=tracking, status=tracking.status.value, planned_budget=tracking.planned_budget_cents,
                        spent=tracking.spent_cents)
    if form.validate_on_submit():
        try:
            changes = services.update_tracking(current_user, tracking, **form.values())
        except NotAllowed as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("tracking.edit", tracking_id=tracking_id))
        except ServiceError as error:
            db.session.rollback()
            tracking = _tracking(tracking_id)
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The tracking has been saved.") if changes else _("Nothing has changed."), "success")
            return redirect(url_for("tracking.edit", tracking_id=tracking.id))
    return render_template("tracking/edit.html", tracking=tracking, proposal=tracking.proposal, form=form,
                           can_track=cycle_allows(tracking.proposal.cycle, "track")), 422 if form.errors else 200


@bp.route("/tracking/<int:tracking_id>/updates/new", methods=["GET", "POST"])
@require(can, "manage")
def new_update(tracking_id: int):
    tracking = _tracking(tracking_id)
    form = UpdateForm()
    if not form.is_submitted():
        form.happened_on.data = local_now().date()
    if form.validate_on_submit():
        try:
            services.post_update(current_user, tracking, happened_on=form.happened_on.data, title=form.title.data,
                                 body=form.body.data or "", photos=form.photos())
        except NotAllowed as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("tracking.edit", tracking_id=tracking_id))
        except ServiceError as error:
            db.session.rollback()
            tracking = _tracking(tracking_id)
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The update has been published, and the people following the project have been told."),
                  "success")
            return redirect(url_for("tracking.edit", tracking_id=tracking.id))
    return render_template("tracking/update_form.html", tracking=tracking, proposal=tracking.proposal,
                           form=form), 422 if form.errors else 200


@bp.route("/tracking/updates/<int:update_id>/delete", methods=["POST"])
@require(can, "manage")
def delete_update(update_id: int):
    update = db.session.get(TrackingUpdate, update_id) or abort(404)
    tracking_id = update.tracking_id
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_update(current_user, update)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The update has been deleted."), "success")
    return redirect(url_for("tracking.edit", tracking_id=tracking_id))
