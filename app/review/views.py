from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import _, get_locale
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from app.accounts.models import Role
from app.core.clock import local_now
from app.core.errors import ServiceError
from app.core.forms import choices
from app.core.permissions import require
from app.core.rendering import safe_html
from app.cycles.models import CITY_CYCLES, Category, Cycle, District
from app.cycles.phases import allows
from app.cycles.services import phase_label, phase_of
from app.extensions import db
from app.privacy.services import may_contact
from app.proposals.models import Proposal, ProposalStatus, ReasonTemplate
from app.proposals.services import status_label
from app.review import services
from app.review.forms import (
    AssignForm,
    ConfirmForm,
    FeasibleForm,
    MergeForm,
    NotesForm,
    NotFeasibleForm,
    ReasonTemplateForm,
    ReviewFilterForm,
    StartReviewForm,
    fill_rows,
)
from app.review.permissions import can

bp = Blueprint("review", __name__, url_prefix="/review", template_folder="templates")
PER_PAGE = 25


@bp.app_context_processor
def review_helpers():
    return {"can_review": can, "review_proposal_link": public_proposal_link}


def public_proposal_link(proposal_id: int) -> str | None:
    """The public page of a proposal, or None while that page does not exist (templates then show plain text)."""
    try:
        return url_for("proposals.show", proposal_id=proposal_id)
    except BuildError:
        return None


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _load_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    # a draft is private to its author; a school's idea belongs to the school's pages
    if proposal is None or proposal.status == ProposalStatus.DRAFT or proposal.cycle.is_school:
        abort(404)
    return proposal


# --- Dashboard -------------------------------------------------------------------------------------------------------

def _filters() -> tuple[ReviewFilterForm, dict]:
    """The dashboard's filters from the query string; invalid ones are reported and ignored."""
    form = ReviewFilterForm(request.args)
    cycles = db.session.scalars(select(Cycle).where(CITY_CYCLES)
                                 .order_by(Cycle.created_at.desc(), Cycle.id.desc())).all()
    fill_rows(form.cycle, cycles, lambda c: c.title)
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    form.district.choices = choices([("", _("All districts")), ("citywide", _("City-wide"))]
                                    + [(str(d.id), d.name) for d in districts])
    form.category.fill(db.session, Category, label=lambda c: c.name, order_by=Category.slug)
    statuses = [s for s in ProposalStatus if s != ProposalStatus.DRAFT]
    form.status.choices = choices([("waiting", _("Waiting for review")), ("all", _("All statuses"))]
                                  + [(s.value, status_label(s)) for s in statuses])
    if "cycle" not in request.args:
        default = services.default_cycle()
        form.cycle.data = default.id if default else None
    if not request.args.get("category"):
        form.category.data = 0
    if not request.args.get("status"):
        form.status.data = "waiting"
    if not cycles:
        form.cycle.choices, form.cycle.data = choices([(0, _("No cycle yet"))]), 0
    form.validate()
    ok = {name: name not in form.errors for name in ("cycle", "district", "category", "status", "mine")}
    district = form.district.data if ok["district"] and form.district.data else None
    values = {
        "cycle": form.cycle.row if ok["cycle"] else services.default_cycle(),
        "district": int(district) if district and district.isdigit() else district,
        "category_id": form.category.data if ok["category"] and form.category.data else None,
        "status": form.status.data if ok["status"] and form.status.data else "waiting",
        "reviewer_id": current_user.id if ok["mine"] and form.mine.data else None,
    }
    return form, values


@bp.route("/")
@require(can, "dashboard")
def dashboard():
    filters, values = _filters()
    cycle = values["cycle"]
    query = services.review_query(**values)
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    context = {"filters": filters, "cycle": cycle, "page": page, "status_label": status_label,
               "phase_label": phase_label,
               "statuses": [s for s in ProposalStatus if s != ProposalStatus.DRAFT]}
    if cycle is not None:
        phase = phase_of(cycle)
        context.update(
            status_counts=services.status_counts(cycle),
            district_counts=services.district_counts(cycle),
            phase=phase,
            frozen=services.is_frozen(cycle),
            readiness=[] if services.is_frozen(cycle) else services.voting_readiness(cycle),
            ballot=services.ballot_items(cycle) if services.is_frozen(cycle) else [],
            can_freeze_now=allows(phase, "review") or allows(phase, "vote"),
            freeze_form=ConfirmForm(prefix="freeze", formdata=None),
        )
    return render_template("review/dashboard.html", **context), 422 if filters.errors else 200


@bp.route("/export.csv")
@require(can, "export")
def export():
    _filters_form, values = _filters()  # invalid filters are ignored, as on the dashboard
    text = services.export_csv(current_user, services.review_query(**values))
    db.session.commit()  # the export is audited
    cycle = values["cycle"]
    name = f"review-{cycle.slug if cycle else 'all'}-{local_now().date().isoformat()}.csv"
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.route("/cycles/<int:cycle_id>/freeze", methods=["POST"])
@require(can, "freeze")
def freeze(cycle_id: int):
    cycle = db.session.get(Cycle, cycle_id) or abort(404)
    form = ConfirmForm(prefix="freeze")
    back = url_for("review.dashboard", cycle=cycle.id)
    if not form.validate_on_submit():
        abort(400)
    try:
        done = services.freeze_when_ready(current_user, cycle)
    except services.BallotNotReady as error:
        db.session.rollback()
        flash(str(error.message), "error")
        for problem in error.problems:
            flash(problem, "error")
        return redirect(back)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(back)
    db.session.commit()
    flash(_("The ballot is frozen.") if done else _("The ballot was already frozen."), "success")
    return redirect(back)


# --- One proposal ----------------------------------------------------------------------------------------------------

def _template_label(template: ReasonTemplate) -> str:
    text = services.reason_text(template, str(get_locale() or "fr"))
    return text if len(text) <= 120 else text[:119] + "…"


def _fill(key: str, form):
    if key == "notfeasible":
        fill_rows(form.template, services.reason_templates(), _template_label,
                  empty_label=_("No template: I write the reason"))
    elif key == "assign":
        fill_rows(form.reviewer, services.reviewers(),
                  lambda u: _("%(name)s (moderator)", name=u.display_name) if u.role == Role.MODERATOR
                  else u.display_name, empty_label=_("Nobody in particular"))
    return form


FORMS = {"start": StartReviewForm, "feasible": FeasibleForm, "notfeasible": NotFeasibleForm, "notes": NotesForm,
         "assign": AssignForm, "merge": MergeForm}


def _blank_forms(proposal: Proposal) -> dict:
    title, summary = services.ballot_defaults(proposal)
    data = {
        "feasible": {"city_cost": proposal.city_cost_cents, "ballot_title": title, "ballot_summary": summary},
        "notes": {"notes": proposal.staff_notes},
        "assign": {"reviewer": proposal.reviewer_id or 0},
    }
    return {key: _fill(key, cls(prefix=key, formdata=None, data=data.get(key, {}))) for key, cls in FORMS.items()}


def _render(proposal: Proposal, status: int = 200, posted: tuple[str, object] | None = None,
            message: str | None = None):
    forms = _blank_forms(proposal)
    if posted is not None:
        forms[posted[0]] = posted[1]
    phase = phase_of(proposal.cycle)
    return render_template(
        "review/proposal.html", proposal=proposal, forms=forms, phase=phase,
        author_contact=proposal.author.email if proposal.author and may_contact(proposal.author) else None,
        review_open=allows(phase, "review"), merge_open=allows(phase, "merge"),
        frozen=services.is_frozen(proposal.cycle), below_threshold=services.below_threshold(proposal),
        similar=services.similar_proposals(proposal) if can(current_user, "merge") else [],
        errors={posted[0]: message} if posted and message else {}, posted_key=posted[0] if posted else None,
        status_label=status_label,
        phase_label=phase_label, safe_body=safe_html(proposal.body_html), decidable=services.DECIDABLE,
        merge_targets=services.MERGE_TARGETS,
    ), status


def _posted(key: str, proposal: Proposal):
    form = _fill(key, FORMS[key](prefix=key))
    return form, form.validate_on_submit()


def _refused(proposal: Proposal, key: str, form, error: ServiceError):
    """A service refused: nothing is kept; the error goes next to its field, or above the form."""
    db.session.rollback()
    proposal = db.session.get(Proposal, proposal.id)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
        return _render(proposal, 422, (key, form))
    return _render(proposal, 422, (key, form), message=error.message)


def _done(proposal: Proposal, message: str, anchor: str = ""):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("review.proposal", proposal_id=proposal.id) + anchor)


@bp.route("/proposals/<int:proposal_id>")
@require(can, "view")
def proposal(proposal_id: int):
    return _render(_load_proposal(proposal_id))


@bp.route("/proposals/<int:proposal_id>/start", methods=["POST"])
@require(can, "review", _load_proposal)
def start(proposal_id: int):
    proposal = _load_proposal(proposal_id)
    form, valid = _posted("start", proposal)
    if not valid:
        return _render(proposal, 422, ("start", form))
    try:
        services.start_review(current_user, proposal)
    except ServiceError as error:
        return _refused(proposal, "start", form, error)
    return _done(proposal, _("The proposal is now under review."))


@bp.route("/proposals/<int:proposal_id>/feasible", methods=["POST"])
@require(can, "review", _load_proposal)
def feasible(proposal_id: int):
    proposal = _load_proposal(proposal_id)
    form, valid = _posted("feasible", proposal)
    if not valid:
        return _render(proposal, 422, ("feasible", form))
    try:
        services.mark_feasible(current_user, proposal, form.city_cost.data, form.ballot_title.data,
                               form.ballot_summary.data)
    except ServiceError as error:
        return _refused(proposal, "feasible", form, error)
    return _done(proposal, _("The proposal is feasible and will be on the ballot."))


@bp.route("/proposals/<int:proposal_id>/not-feasible", methods=["POST"])
@require(can, "review", _load_proposal)
def not_feasible(proposal_id: int):
    proposal = _load_proposal(proposal_id)
    form, valid = _posted("notfeasible", proposal)
    if not valid:
        return _render(proposal, 422, ("notfeasible", form))
    try:
        services.mark_not_feasible(current_user, proposal, form.reason.data, form.template.row)
    except ServiceError as error:
        return _refused(proposal, "notfeasible", form, error)
    return _done(proposal, _("The proposal is marked not feasible; its followers are told why."))


@bp.route("/proposals/<int:proposal_id>/notes", methods=["POST"])
@require(can, "notes", _load_proposal)
def notes(proposal_id: int):
    proposal = _load_proposal(proposal_id)
    form, valid = _posted("notes", proposal)
    if not valid:
        return _render(proposal, 422, ("notes", form))
    try:
        services.set_staff_notes(current_user, proposal, form.notes.data)
    except ServiceError as error:
        return _refused(proposal, "notes", form, error)
    return _done(proposal, _("The staff notes are saved."), "#notes-heading")


@bp.route("/proposals/<int:proposal_id>/assign", methods=["POST"])
@require(can, "assign")
def assign(proposal_id: int):
    proposal = _load_proposal(proposal_id)
    form, valid = _posted("assign", proposal)
    if not valid:
        return _render(proposal, 422, ("assign", form))
    try:
        services.assign_reviewer(current_user, proposal, form.reviewer.row)
    except ServiceError as error:
        return _refused(proposal, "assign", form, error)
    return _done(proposal, _("The reviewer is saved."))


@bp.route("/proposals/<int:proposal_id>/merge", methods=["POST"])
@require(can, "merge")
def merge(proposal_id: int):
    target = _load_proposal(proposal_id)
    form, valid = _posted("merge", target)
    if not valid:
        return _render(target, 422, ("merge", form))
    found = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(form.numbers)))}
    missing = [n for n in form.numbers if n not in found or found[n].status == ProposalStatus.DRAFT]
    if missing:
        form.duplicates.errors = [_("There is no proposal no. %(number)d.", number=missing[0])]
        return _render(target, 422, ("merge", form))
    try:
        services.merge(current_user, target, [found[n] for n in form.numbers])
    except ServiceError as error:
        return _refused(target, "merge", form, error)
    return _done(target, _("The proposals are merged into this project."))


# --- Reason templates ------------------------------------------------------------------------------------------------

@bp.route("/reasons", methods=["GET", "POST"])
@require(can, "reasons")
def reasons():
    form = ReasonTemplateForm()
    if form.validate_on_submit():
        try:
            services.save_reason_template(current_user, form.data)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The reason is added to the list."), "success")
            return redirect(url_for("review.reasons"))
    return render_template("review/reasons.html", form=form, templates=services.reason_templates(),
                           delete_form=ConfirmForm(prefix="delete", formdata=None)), 422 if form.errors else 200


@bp.route("/reasons/<int:template_id>", methods=["GET", "POST"])
@require(can, "reasons")
def edit_reason(template_id: int):
    template = db.session.get(ReasonTemplate, template_id) or abort(404)
    form = ReasonTemplateForm(obj=template)
    if form.validate_on_submit():
        try:
            services.save_reason_template(current_user, form.data, template)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The reason is saved."), "success")
            return redirect(url_for("review.reasons"))
    return render_template("review/reason_edit.html", form=form, template=template), 422 if form.errors else 200


@bp.route("/reasons/<int:template_id>/delete", methods=["POST"])
@require(can, "reasons")
def delete_reason(template_id: int):
    template = db.session.get(ReasonTemplate, template_id) or abort(404)
    if not ConfirmForm(prefix="delete").validate_on_submit():
        abort(400)
    services.delete_reason_template(current_user, template)
    db.session.commit()
    flash(_("The reason is removed from the list. Proposals that used it keep their reason."), "success")
    return redirect(url_for("review.reasons"))
