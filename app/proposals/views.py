import random

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.core.actions import run_and_flash
from app.core.errors import ServiceError
from app.core.forms import choices
from app.cycles.models import CITY_CYCLE_IDS, CITY_CYCLES, Category, Cycle, District
from app.cycles.services import cycle_allows, phase_of
from app.deliberation.moderation_permissions import can as can_moderate
from app.extensions import db
from app.proposals import services
from app.proposals.forms import ActionForm, FollowForm, ListingForm, ProposalForm
from app.proposals.models import PUBLIC_STATUSES, Proposal, ProposalImage, ProposalStatus
from app.proposals.permissions import can
from app.proposals.search import listing

bp = Blueprint("proposals", __name__, url_prefix="/proposals", template_folder="templates")


@bp.app_context_processor
def proposal_helpers():
    return {"status_label": services.status_label, "can_proposal": can}


def _load(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can(current_user, "view", proposal):
        abort(404)
    return proposal


def _cycle_from_args() -> Cycle | None:
    slug = request.args.get("cycle", "")[:80]
    return db.session.scalar(select(Cycle).where(Cycle.slug == slug, CITY_CYCLES)) if slug else None


def _listing_form() -> tuple[ListingForm, dict | None, Cycle | None]:
    """The filter form with its options, and the validated filters (invalid values are ignored with a 400)."""
    form = ListingForm(request.args)
    cycles = db.session.scalars(select(Cycle).where(CITY_CYCLES).order_by(Cycle.created_at.desc())).all()
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    categories = db.session.scalars(select(Category).order_by(Category.slug)).all()
    form.cycle.choices = choices([("", _("All budgets"))] + [(c.slug, c.title) for c in cycles])
    form.district.choices = choices(
        [("", _("All districts")), ("city", _("Whole city"))] + [(str(d.id), d.name) for d in districts]
    )
    form.category.choices = choices([("", _("All themes"))] + [(str(c.id), c.name) for c in categories])
    form.status.choices = choices(
        [("", _("All statuses"))] + [(s.value, services.status_label(s)) for s in PUBLIC_STATUSES]
    )
    for field in (form.cycle, form.district, form.category, form.status):
        if not request.args.get(field.name):
            field.data = ""
    if not request.args.get("sort"):
        form.sort.data = "newest"
    if not form.validate():
        return form, None, None
    cycle = next((c for c in cycles if c.slug == form.cycle.data), None)
    filters = {
        "cycle_id": cycle.id if cycle else None,
        "q": form.q.data or "",
        "district_id": -1
        if form.district.data == "city"
        else (int(form.district.data) if form.district.data else None),
        "category_id": int(form.category.data) if form.category.data else None,
        "status": ProposalStatus(form.status.data) if form.status.data else None,
        "sort": form.sort.data or "newest",
    }
    return form, filters, cycle


def _seed() -> int:
    if "listing_seed" not in session:
        session["listing_seed"] = random.randrange(1, 2**31)  # noqa: S311 (an order, not a secret)
    return session["listing_seed"]


@bp.route("/")
def index():
    form, filters, cycle = _listing_form()
    if filters is None:
        return render_template("proposals/index.html", form=form, page=None, cycle=None), 400
    page_number = request.args.get("page", "1")
    page_number = int(page_number) if page_number.isdigit() else 1
    page = listing(db.session, statuses=PUBLIC_STATUSES, seed=_seed(), page=page_number, **filters)
    can_submit = cycle is not None and cycle_allows(cycle, "submit_proposal")
    return render_template("proposals/index.html", form=form, page=page, cycle=cycle, can_submit=can_submit)


@bp.route("/map")
def map_view():
    form, filters, cycle = _listing_form()
    if filters is None:
        abort(400)
    query = (
        select(Proposal)
        .where(Proposal.status.in_(PUBLIC_STATUSES), Proposal.latitude.is_not(None), Proposal.hidden_at.is_(None),
               Proposal.cycle_id.in_(CITY_CYCLE_IDS))
        .order_by(Proposal.id.desc())
        .limit(500)
    )
    if filters["cycle_id"]:
        query = query.where(Proposal.cycle_id == filters["cycle_id"])
    proposals = db.session.scalars(query).unique().all()
    return render_template("proposals/map.html", form=form, proposals=proposals, cycle=cycle)


@bp.route("/mine")
@login_required
def mine():
    proposals = (
        db.session.scalars(
            select(Proposal).where(Proposal.author_id == current_user.id).order_by(Proposal.created_at.desc())
        )
        .unique()
        .all()
    )
    return render_template("proposals/mine.html", proposals=proposals)


def _fill_choices(form: ProposalForm) -> ProposalForm:
    form.category.fill(db.session, Category, order_by=Category.slug)
    form.district.fill(db.session, District, order_by=District.name)
    return form


def _save(form: ProposalForm, cycle: Cycle, proposal: Proposal | None):
    """Validate and save; returns a redirect, or None when the form must be shown again with errors."""
    submit = bool(form.submit.data)
    try:
        saved = services.save_proposal(current_user, cycle, form.values(), proposal=proposal, submit=submit)
        services.add_images(
            current_user, saved, request.files.getlist(form.images.name), [form.images_alt.data or ""] * 3
        )
    except ServiceError as error:
        db.session.rollback()
        target = getattr(form, error.field, None) if error.field else None
        (target.errors if target is not None else form.form_errors).append(error.message)
        return None
    db.session.commit()
    if submit:
        flash(_("Thank you! Your proposal has been submitted. You will be told when it moves forward."), "success")
    else:
        flash(_("Your draft has been saved. You can finish it later from “My proposals”."), "success")
    return redirect(url_for("proposals.show", proposal_id=saved.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    cycle = _cycle_from_args()
    if cycle is None:
        abort(404)
    if not can(current_user, "create"):
        flash(_("Please confirm your email address before proposing a project."), "error")
        return redirect(url_for("accounts.profile"))
    if not cycle_allows(cycle, "submit_proposal"):
        flash(_("Proposals for this budget are closed."), "error")
        return redirect(url_for("proposals.index", cycle=cycle.slug))
    form = _fill_choices(ProposalForm())
    if form.validate_on_submit():
        response = _save(form, cycle, None)
        if response is not None:
            return response
    return render_template(
        "proposals/form.html", form=form, cycle=cycle, proposal=None
    ), 422 if form.errors or form.form_errors else 200


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    proposal = _load(proposal_id)
    if not can(current_user, "edit", proposal):
        abort(403)
    form = _fill_choices(ProposalForm(obj=proposal))
    if not form.is_submitted():
        form.category.data = proposal.category_id or 0
        form.district.data = proposal.district_id or 0
        form.estimated_cost.data = proposal.estimated_cost_cents
    if form.validate_on_submit():
        response = _save(form, proposal.cycle, proposal)
        if response is not None:
            return response
    return render_template("proposals/form.html", form=form, cycle=proposal.cycle, proposal=proposal), (
        422 if form.errors or form.form_errors else 200
    )


@bp.route("/<int:proposal_id>")
def show(proposal_id: int):
    proposal = _load(proposal_id)
    if proposal.hidden_at is not None and not can_moderate(current_user, "moderate"):
        return render_template("moderation/hidden_proposal.html", proposal=proposal)
    phase = phase_of(proposal.cycle)
    return render_template(
        "proposals/show.html",
        proposal=proposal,
        phase=phase,
        action_form=ActionForm(),
        follow_form=FollowForm(),
        supported=services.has_supported(current_user, proposal),
        follow=services.following(current_user, proposal),
        can_support=cycle_allows(proposal.cycle, "support") and proposal.status == ProposalStatus.SUBMITTED,
    )


def _action(proposal_id: int, operation, message: str):
    proposal = _load(proposal_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_and_flash(lambda: operation(proposal), message)
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.route("/<int:proposal_id>/support", methods=["POST"])
@login_required
def support(proposal_id: int):
    return _action(proposal_id, lambda p: services.support(current_user, p), _("Thank you for your support!"))


@bp.route("/<int:proposal_id>/unsupport", methods=["POST"])
@login_required
def unsupport(proposal_id: int):
    return _action(proposal_id, lambda p: services.unsupport(current_user, p), _("Your support has been withdrawn."))


@bp.route("/<int:proposal_id>/follow", methods=["POST"])
@login_required
def follow(proposal_id: int):
    proposal = _load(proposal_id)
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400)
    run_and_flash(lambda: services.follow(current_user, proposal, by_email=form.by_email.data),
                  _("You follow this proposal: you will be told when it moves forward."))
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.route("/<int:proposal_id>/unfollow", methods=["POST"])
@login_required
def unfollow(proposal_id: int):
    return _action(proposal_id, lambda p: services.unfollow(current_user, p), _("You no longer follow this proposal."))


@bp.route("/<int:proposal_id>/withdraw", methods=["POST"])
@login_required
def withdraw(proposal_id: int):
    return _action(proposal_id, lambda p: services.withdraw(current_user, p), _("Your proposal has been withdrawn."))


@bp.route("/<int:proposal_id>/images/<int:image_id>/delete", methods=["POST"])
@login_required
def delete_image(proposal_id: int, image_id: int):
    proposal = _load(proposal_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.remove_image(current_user, proposal, image_id)
    except ServiceError:
        abort(403)
    db.session.commit()
    flash(_("The image has been removed."), "success")
    return redirect(url_for("proposals.edit", proposal_id=proposal.id))


@bp.route("/images/<token>")
def image(token: str):
    row = db.session.scalar(select(ProposalImage).where(ProposalImage.token == token[:40]))
    if row is None or not can(current_user, "view", row.proposal) or (
        row.proposal.hidden_at is not None and not can(current_user, "see_staff")
    ):
        abort(404)
    response = make_response(row.data)
    response.headers["Content-Type"] = row.content_type
    response.headers["Cache-Control"] = "public, max-age=604800"
    response.headers["Content-Disposition"] = "inline"
    return response
