"""Public pages of the budget cycles, and the officials' pages for cycles, districts and themes."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from app.core.clock import utcnow
from app.core.errors import ServiceError
from app.core.permissions import require
from app.core.rendering import render_markdown, safe_html
from app.cycles import services
from app.cycles.forms import CategoryForm, ClosePhaseForm, DeleteForm, DistrictForm, ExtendPhaseForm, cycle_form
from app.cycles.models import CITY_CYCLES, Category, Cycle, District, PhaseKind
from app.cycles.permissions import can
from app.cycles.phases import PHASE_ALLOWS, allows
from app.extensions import db

bp = Blueprint("cycles", __name__, template_folder="templates")

# What a resident can do, by action of the phase table (app.cycles.phases.PHASE_ALLOWS), in the order shown.
RESIDENT_ACTIONS = [
    ("submit_proposal", _l("Propose a project for your district or for the whole city.")),
    ("edit_proposal", _l("Change or withdraw the proposals you have submitted.")),
    ("support", _l("Support the proposals you like.")),
    # "comment" joins this list with the deliberation module (issue 4): comments do not exist yet.
    ("vote", _l("Vote for the projects you want the city to carry out.")),
    ("track", _l("See the results and follow how the chosen projects are carried out.")),
]

PHASE_INTROS = {
    PhaseKind.SUBMISSION: _l("Ideas are being collected: anyone who lives, works or studies in the city can "
                             "propose a project."),
    PhaseKind.REVIEW: _l("The city's services are checking each proposal: can it be done, and what would it cost?"),
    PhaseKind.VOTING: _l("The vote is open: choose the projects you want the city to carry out."),
    PhaseKind.RESULTS: _l("The vote is over and the results are published."),
    PhaseKind.IMPLEMENTATION: _l("The chosen projects are being carried out."),
    PhaseKind.CLOSED: _l("This budget cycle is over."),
}


def optional_url(endpoint: str, **values) -> str | None:
    """``url_for``, or None when the endpoint does not exist (yet): the page still renders, without the link."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def cycle_description_html(cycle: Cycle):
    """The cycle's description (staff-written Markdown) as sanitised HTML."""
    return safe_html(render_markdown(cycle.description))


@bp.app_context_processor
def cycle_helpers():
    return {
        "phase_label": services.phase_label,
        "cycle_phase": services.phase_of,
        "current_window": services.current_window,
        "upcoming_window": services.upcoming_window,
        "optional_url": optional_url,
        "can_cycles": can,
    }


# --- Public pages --------------------------------------------------------------------------------------------------


@bp.route("/budgets")
def index():
    return render_template("cycles/index.html", groups=services.cycles_by_state())


@bp.route("/budgets/<slug>")
def show(slug: str):
    cycle = services.get_cycle_by_slug(slug) or abort(404)
    now = utcnow()
    phase = services.phase_of(cycle, now)
    allowed = {action for action in PHASE_ALLOWS if allows(phase, action)}
    actions = [text for action, text in RESIDENT_ACTIONS if action in allowed]
    return render_template(
        "cycles/show.html", cycle=cycle, phase=phase, state=services.cycle_state(cycle, now),
        intro=PHASE_INTROS.get(phase), actions=actions, allowed=allowed, timeline=services.cycle_timeline(cycle, now),
        next_window=services.upcoming_window(cycle, now), description_html=cycle_description_html(cycle),
        envelopes=sorted(cycle.envelopes, key=lambda e: e.district.name),
    )


# --- Cycles (officials) --------------------------------------------------------------------------------------------


def _districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))


def _cycle(cycle_id: int) -> Cycle:
    return db.session.get(Cycle, cycle_id) or abort(404)


def _form_error(form, error: ServiceError) -> None:
    """Show a service's refusal on its field, or above the form (``form.service_errors``) when it has none."""
    db.session.rollback()
    if error.field and error.field in form:
        form[error.field].errors.append(error.message)
    else:
        form.service_errors = [*getattr(form, "service_errors", []), error.message]


def _status(form) -> int:
    return 422 if form.errors or getattr(form, "service_errors", None) else 200


@bp.route("/admin/budgets")
@require(can, "cycle.manage")
def admin_cycles():
    cycles = db.session.scalars(select(Cycle).where(CITY_CYCLES)
                                 .order_by(Cycle.created_at.desc(), Cycle.id.desc())).all()
    return render_template("cycles/admin_cycles.html", cycles=cycles, now=utcnow())


def _save_cycle(cycle: Cycle | None):
    form = cycle_form(_districts())
    if cycle is not None and not form.is_submitted():
        form.fill_from(cycle)
    if form.validate_on_submit():
        try:
            saved = services.save_cycle(current_user, form.values(), cycle)
        except ServiceError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("The budget cycle “%(title)s” has been saved.", title=saved.title), "success")
            if not saved.title_en:
                flash(_("Consider adding an English title and description: many visitors read English."), "info")
            return redirect(url_for("cycles.admin_cycles"))
    return render_template("cycles/cycle_form.html", form=form, cycle=cycle), _status(form)


@bp.route("/admin/budgets/new", methods=["GET", "POST"])
@require(can, "cycle.manage")
def new_cycle():
    return _save_cycle(None)


@bp.route("/admin/budgets/<int:cycle_id>/edit", methods=["GET", "POST"])
@require(can, "cycle.manage")
def edit_cycle(cycle_id: int):
    return _save_cycle(_cycle(cycle_id))


def _phase_page(cycle: Cycle, close_form=None, extend_form=None, status: int = 200):
    now = utcnow()
    window = services.current_window(cycle, now)
    close_form = close_form or ClosePhaseForm(prefix="close", formdata=None)
    if extend_form is None:
        extend_form = ExtendPhaseForm(prefix="extend", formdata=None)
        extend_form.ends_at.data = window.ends_at if window else None
    following = None
    if window is not None and window.kind != PhaseKind.CLOSED:
        following = list(PhaseKind)[window.kind.order + 1]
    return render_template("cycles/admin_phase.html", cycle=cycle, window=window, following=following,
                           timeline=services.cycle_timeline(cycle, now), close_form=close_form,
                           extend_form=extend_form), status


@bp.route("/admin/budgets/<int:cycle_id>/phase")
@require(can, "cycle.manage")
def cycle_phase(cycle_id: int):
    return _phase_page(_cycle(cycle_id))


@bp.route("/admin/budgets/<int:cycle_id>/phase/close", methods=["POST"])
@require(can, "cycle.manage")
def close_phase(cycle_id: int):
    cycle = _cycle(cycle_id)
    form = ClosePhaseForm(prefix="close")
    if form.validate_on_submit():
        try:
            opened = services.close_phase_early(current_user, cycle, form.reason.data)
        except ServiceError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("The phase is closed. Now open: %(phase)s.", phase=services.phase_label(opened.kind)),
                  "success")
            return redirect(url_for("cycles.cycle_phase", cycle_id=cycle.id))
    return _phase_page(_cycle(cycle_id), close_form=form, status=422)


@bp.route("/admin/budgets/<int:cycle_id>/phase/extend", methods=["POST"])
@require(can, "cycle.manage")
def extend_phase(cycle_id: int):
    cycle = _cycle(cycle_id)
    form = ExtendPhaseForm(prefix="extend")
    if form.validate_on_submit():
        try:
            phase = services.extend_phase(current_user, cycle, form.ends_at.data, form.reason.data)
        except ServiceError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("The phase “%(phase)s” has been extended.", phase=services.phase_label(phase.kind)), "success")
            return redirect(url_for("cycles.cycle_phase", cycle_id=cycle.id))
    return _phase_page(_cycle(cycle_id), extend_form=form, status=422)


# --- Districts and themes (officials) ------------------------------------------------------------------------------


@bp.route("/admin/districts")
@require(can, "district.manage")
def admin_districts():
    districts = _districts()
    return render_template("cycles/admin_districts.html", districts=districts, uses=services.district_use_counts(),
                           delete_form=DeleteForm())


def _save_district(district: District | None):
    form = DistrictForm(obj=district)
    if form.validate_on_submit():
        try:
            saved = services.save_district(current_user, form.name.data, form.slug.data, district)
        except ServiceError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("The district “%(name)s” has been saved.", name=saved.name), "success")
            return redirect(url_for("cycles.admin_districts"))
    return render_template("cycles/district_form.html", form=form, district=district), _status(form)


@bp.route("/admin/districts/new", methods=["GET", "POST"])
@require(can, "district.manage")
def new_district():
    return _save_district(None)


@bp.route("/admin/districts/<int:district_id>/edit", methods=["GET", "POST"])
@require(can, "district.manage")
def edit_district(district_id: int):
    return _save_district(db.session.get(District, district_id) or abort(404))


@bp.route("/admin/districts/<int:district_id>/delete", methods=["POST"])
@require(can, "district.manage")
def delete_district(district_id: int):
    district = db.session.get(District, district_id) or abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = district.name
    try:
        services.delete_district(current_user, district)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The district “%(name)s” has been deleted.", name=name), "success")
    return redirect(url_for("cycles.admin_districts"))


@bp.route("/admin/categories")
@require(can, "category.manage")
def admin_categories():
    categories = db.session.scalars(select(Category).order_by(Category.slug)).all()
    return render_template("cycles/admin_categories.html", categories=categories, delete_form=DeleteForm(),
                           uses=services.category_use_counts())


def _save_category(category: Category | None):
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            saved = services.save_category(current_user, form.data, category)
        except ServiceError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("The theme “%(name)s” has been saved.", name=saved.name), "success")
            return redirect(url_for("cycles.admin_categories"))
    return render_template("cycles/category_form.html", form=form, category=category), _status(form)


@bp.route("/admin/categories/new", methods=["GET", "POST"])
@require(can, "category.manage")
def new_category():
    return _save_category(None)


@bp.route("/admin/categories/<int:category_id>/edit", methods=["GET", "POST"])
@require(can, "category.manage")
def edit_category(category_id: int):
    return _save_category(db.session.get(Category, category_id) or abort(404))


@bp.route("/admin/categories/<int:category_id>/delete", methods=["POST"])
@require(can, "category.manage")
def delete_category(category_id: int):
    category = db.session.get(Category, category_id) or abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = category.name
    try:
        services.delete_category(current_user, category)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The theme “%(name)s” has been deleted.", name=name), "success")
    return redirect(url_for("cycles.admin_categories"))
