"""Schools' pages: teachers (schools, classes, cards, moderation, phases, results) and pupils (sign in with a
card, ideas, comments, vote, results). Pupils are not accounts: the pupil of a session is ``g.pupil`` (None or a
``Pupil``, checked on every request: a cancelled or reprinted card signs its pupil out)."""

from functools import partial

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _
from flask_login import current_user
from sqlalchemy import select

from app.core.actions import run_and_flash
from app.core.errors import ServiceError
from app.core.forms import choices
from app.core.i18n import euros
from app.core.permissions import require
from app.cycles.models import Cycle, District, PhaseKind
from app.extensions import db, limiter
from app.proposals.models import ProposalImage
from app.schools import services
from app.schools.forms import (
    ActionForm,
    BudgetForm,
    CardsForm,
    CityForm,
    ClassForm,
    CommentForm,
    HandOverForm,
    IdeaForm,
    ModerateForm,
    PriceForm,
    SchoolForm,
    SignInForm,
    TeacherForm,
)
from app.schools.models import (
    Moderation,
    PriceItem,
    Pupil,
    PupilComment,
    PupilIdea,
    School,
    SchoolClass,
    SchoolTeacher,
)
from app.schools.permissions import can, pupil_can

bp = Blueprint("schools", __name__, url_prefix="/school", template_folder="templates")

PUPIL_SESSION = "pupil"


@bp.before_app_request
def load_pupil():
    """``g.pupil``: the pupil of this session, or None (and the session forgets a card that stopped working)."""
    g.pupil = None
    held = session.get(PUPIL_SESSION)
    if not held:
        return
    pupil = services.current_pupil(*held) if isinstance(held, list) and len(held) == 2 else None
    if pupil is None:
        session.pop(PUPIL_SESSION, None)
    g.pupil = pupil


@bp.app_context_processor
def school_helpers():
    return {"can_school": can, "class_phase_label": services.phase_label, "grade_label": services.grade_label,
            "icons": services.ICONS}


def _get(model, object_id: int):
    return db.session.get(model, object_id) or abort(404)


def _class(class_id: int) -> SchoolClass:
    klass = _get(SchoolClass, class_id)
    if not can(current_user, "class.manage", klass):
        abort(403 if current_user.is_authenticated else 404)
    return klass


def _in_class(owner: SchoolClass | School, model, object_id: int, class_of):
    """The ``model`` row ``object_id`` if it belongs to ``owner`` (a class, or a school: ``class_of(row)`` gives the
    id of the one it belongs to), else 404."""
    row = db.session.get(model, object_id)
    if row is None or class_of(row) != owner.id:
        abort(404)
    return row


def _in_school(school: School, model, object_id: int):
    """The ``model`` row ``object_id`` (a class, a teacher's membership) if it belongs to ``school``, else 404."""
    return _in_class(school, model, object_id, lambda row: row.school_id)


def _fail(form, error: ServiceError) -> None:
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        form.form_errors.append(error.message)


def _done(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values), 303)


def _refused(error: ServiceError, endpoint: str, **values):
    db.session.rollback()
    flash(str(error.message), "error")
    return redirect(url_for(endpoint, **values), 303)


def _button():
    """A button's POST carries only its CSRF token: without it, 400."""
    if not ActionForm().validate_on_submit():
        abort(400)


def _run(action, done: str, endpoint: str, then: str | None = None, **values):
    """Run the service call ``action()``: refused, back to ``endpoint`` with the reason; done, to ``then`` (an
    endpoint without values) or ``endpoint``, with ``done``."""
    if run_and_flash(action, done) and then:
        return redirect(url_for(then), 303)
    return redirect(url_for(endpoint, **values), 303)


def _delete(action, unticked: str, done: str, endpoint: str, **values):
    """A delete button behind a box to tick ("confirm"): not ticked, back to ``endpoint`` saying so; else ``_run``
    the service call ``action()``, then to the schools' home."""
    _button()
    if request.form.get("confirm") != "yes":
        flash(unticked, "error")
        return redirect(url_for(endpoint, **values), 303)
    return _run(action, done, endpoint, then="schools.home", **values)


def _submitted(form, action, done: str, endpoint: str, **values):
    """Validate ``form`` and run the service call ``action()`` (it reads the form's data): done, to ``endpoint``
    with ``done``; refused, the reason goes on the form and None is returned, for the page to show it again."""
    if form.validate_on_submit():
        try:
            action()
        except ServiceError as error:
            db.session.rollback()
            _fail(form, error)
        else:
            return _done(done, endpoint, **values)
    return None


# --- Teachers and officials -------------------------------------------------------------------------------------------

def _school_form(school: School | None = None) -> SchoolForm:
    """The school's name and district (a new school, or ``school`` to edit, under the prefix "school")."""
    form = SchoolForm() if school is None else SchoolForm(
        prefix="school", data={"name": school.name, "district": str(school.district_id or "")})
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    form.district.choices = choices([("", _("No district"))] + [(str(d.id), d.name) for d in districts])
    return form


def _form_district(form: SchoolForm) -> District | None:
    return db.session.get(District, int(form.district.data)) if form.district.data.isdigit() else None


@bp.route("/", methods=["GET", "POST"])
@require(can, "school.list")
def home():
    form = _school_form()
    status = 200
    if form.is_submitted():
        if not can(current_user, "school.create"):
            abort(403)
        if form.validate():
            try:
                school = services.create_school(current_user, form.name.data, _form_district(form))
            except ServiceError as error:
                db.session.rollback()
                _fail(form, error)
            else:
                return _done(_("The school was created."), "schools.teachers", school_id=school.id)
        status = 422
    return render_template("schools/home.html", form=form, schools=services.schools_of(current_user),
                           classes=services.classes_of(current_user)), status


def _school(school_id: int, action: str = "school.teachers") -> School:
    school = _get(School, school_id)
    if not can(current_user, action, school):
        abort(403)
    return school


def _school_page(school: School, status: int = 200, **forms):
    """The school's page (officials and its coordinators): its teachers with the classes they run (names only),
    adding, taking off and handing over; for officials, the school's name and district, and deleting it."""
    teachers = services.teachers_of(school)
    classes = {membership.id: services.open_classes_of(membership) for membership in teachers}
    hand_over_forms = {}
    for membership in teachers:
        others = choices([(other.id, other.user.display_name) for other in teachers
                          if other.user_id != membership.user_id])
        for klass in classes[membership.id]:
            hand_over_forms[klass.id] = HandOverForm(prefix=f"class-{klass.id}")
            hand_over_forms[klass.id].teacher.choices = others
    return render_template(
        "schools/teachers.html", school=school, teachers=teachers, classes=classes, hand_over_forms=hand_over_forms,
        has_classes=bool(services.classes_in(school)), action_form=ActionForm(),
        form=forms.get("form") or TeacherForm(), school_form=forms.get("school_form") or _school_form(school),
    ), status


@bp.route("/<int:school_id>/teachers", methods=["GET", "POST"])
@require(can, "school.list")
def teachers(school_id: int):
    school = _school(school_id)
    form = TeacherForm()
    return _submitted(form, lambda: services.grant_teacher(current_user, school, form.email.data,
                                                           form.coordinator.data),
                      _("This person is now a teacher of the school."), "schools.teachers", school_id=school.id) \
        or _school_page(school, 422 if form.errors or form.form_errors else 200, form=form)


@bp.route("/<int:school_id>/edit", methods=["POST"])
@require(can, "school.list")
def edit_school(school_id: int):
    school = _school(school_id, "school.edit")
    form = _school_form(school)
    return _submitted(form, lambda: services.update_school(current_user, school, form.name.data, _form_district(form)),
                      _("The school was saved."), "schools.teachers", school_id=school.id) \
        or _school_page(school, 422, school_form=form)


@bp.route("/<int:school_id>/delete", methods=["POST"])
@require(can, "school.list")
def delete_school(school_id: int):
    school = _school(school_id, "school.delete")
    return _delete(partial(services.delete_school, current_user, school),
                   _("Tick the box to confirm that the school is deleted."), _("The school was deleted."),
                   "schools.teachers", school_id=school.id)


@bp.route("/<int:school_id>/teachers/<int:membership_id>/remove", methods=["POST"])
@require(can, "school.list")
def remove_teacher(school_id: int, membership_id: int):
    school = _school(school_id)
    membership = _in_school(school, SchoolTeacher, membership_id)
    _button()
    return _run(partial(services.remove_teacher, current_user, membership),
                _("The teacher was taken off the school."), "schools.teachers", school_id=school.id)


@bp.route("/<int:school_id>/classes/<int:class_id>/hand-over", methods=["POST"])
@require(can, "school.list")
def hand_over(school_id: int, class_id: int):
    school = _school(school_id)
    klass = _in_school(school, SchoolClass, class_id)
    form = HandOverForm(prefix=f"class-{klass.id}")
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    membership = db.session.get(SchoolTeacher, form.teacher.data) if form.teacher.data else None
    return _run(partial(services.hand_over, current_user, klass, membership), _("The class was handed over."),
                "schools.teachers", school_id=school.id)


@bp.route("/<int:school_id>/classes/new", methods=["GET", "POST"])
@require(can, "school.list")
def new_class(school_id: int):
    school = _get(School, school_id)
    if not can(current_user, "class.create", school):
        abort(403)
    form = ClassForm()
    form.grade_level.choices = choices([(level, services.grade_label(level)) for level in services.GRADES])
    if form.validate_on_submit():
        try:
            klass = services.create_class(current_user, school, form.name.data, form.grade_level.data,
                                          form.school_year.data)
        except ServiceError as error:
            db.session.rollback()
            _fail(form, error)
        else:
            return _done(_("The class was created."), "schools.dashboard", class_id=klass.id)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("schools/class_new.html", school=school, form=form), status


def _price_form() -> PriceForm:
    form = PriceForm(prefix="price")
    form.icon.choices = choices([(key, f"{symbol} {name}") for key, (symbol, name) in services.ICONS.items()])
    return form


def _city_form(klass: SchoolClass) -> CityForm:
    form = CityForm(prefix="city")
    form.cycle.choices = choices([(cycle.id, cycle.title) for cycle in services.city_cycles_open()])
    return form


def _dashboard(klass: SchoolClass, status: int = 200, **forms):
    ideas, notes = services.waiting(klass)
    decided_ideas, decided_comments = services.decided(klass)
    run, rows = services.results(klass.cycle)
    context = {
        "klass": klass, "phase": services.class_phase(klass), "next_phase": services.next_phase(klass),
        "budget_form": forms.get("budget_form") or BudgetForm(prefix="budget"),
        "price_form": forms.get("price_form") or _price_form(),
        "cards_form": forms.get("cards_form") or CardsForm(prefix="cards"),
        "city_form": _city_form(klass), "action_form": ActionForm(), "moderate_form": ModerateForm(),
        "prices": services.prices_of(klass), "pupils": services.pupils_of(klass), "waiting_ideas": ideas,
        "waiting_comments": notes, "decided_ideas": decided_ideas,
        "decided_comments": decided_comments,
        "ideas_open": klass.cycle is not None and klass.cycle.ballot_frozen_at is None,
        "participation": services.participation(klass), "run": run, "rows": rows,
        "lesson_progress": services.lesson_progress(klass), "sent": services.sent_to_city(klass),
        "erase_error": forms.get("erase_error"),
    }
    return render_template("schools/dashboard.html", **context), status


@bp.route("/classes/<int:class_id>")
def dashboard(class_id: int):
    return _dashboard(_class(class_id))


@bp.route("/classes/<int:class_id>/budget", methods=["POST"])
def budget(class_id: int):
    klass = _class(class_id)
    form = BudgetForm(prefix="budget")
    return _submitted(form, lambda: services.create_budget(current_user, klass, form.title.data, form.budget.data,
                                                           form.kind.data, form.whole_school.data),
                      _("The class's budget is open: pupils can now send their ideas."), "schools.dashboard",
                      class_id=klass.id) \
        or _dashboard(klass, 422, budget_form=form)


@bp.route("/classes/<int:class_id>/phase", methods=["POST"])
def phase(class_id: int):
    klass = _class(class_id)
    _button()
    try:
        moved = services.move_phase(current_user, klass)
    except ServiceError as error:
        return _refused(error, "schools.dashboard", class_id=klass.id)
    return _done(_("The budget moved to the step “%(phase)s”.", phase=services.phase_label(moved)),
                 "schools.dashboard", class_id=klass.id)


@bp.route("/classes/<int:class_id>/prices", methods=["POST"])
def add_price(class_id: int):
    klass = _class(class_id)
    form = _price_form()
    return _submitted(form, lambda: services.add_price(current_user, klass, form.label.data, form.icon.data,
                                                       form.cost.data),
                      _("The price was added to the list."), "schools.dashboard", class_id=klass.id) \
        or _dashboard(klass, 422, price_form=form)


@bp.route("/classes/<int:class_id>/prices/<int:price_id>/delete", methods=["POST"])
def delete_price(class_id: int, price_id: int):
    klass = _class(class_id)
    item = _in_class(klass, PriceItem, price_id, lambda row: row.class_id)
    _button()
    services.delete_price(current_user, item)
    return _done(_("The price was removed from the list."), "schools.dashboard", class_id=klass.id)


def _sheet(klass: SchoolClass, cards):
    """The printable sheet: the only response that ever holds the card codes (never cached, never stored)."""
    address = (current_app.config.get("BASE_URL") or "").rstrip("/") + url_for("schools.sign_in") \
        if current_app.config.get("BASE_URL") else url_for("schools.sign_in", _external=True)
    response = make_response(render_template("schools/cards_sheet.html", klass=klass, cards=cards, address=address))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["Expires"] = "0"
    return response


@bp.route("/classes/<int:class_id>/cards", methods=["POST"])
def cards(class_id: int):
    klass = _class(class_id)
    form = CardsForm(prefix="cards")
    if form.validate_on_submit():
        try:
            made = services.make_cards(current_user, klass, form.count.data)
        except ServiceError as error:
            db.session.rollback()
            _fail(form, error)
        else:
            db.session.commit()
            return _sheet(klass, made)
    return _dashboard(klass, 422, cards_form=form)


@bp.route("/classes/<int:class_id>/cards/<int:pupil_id>/reprint", methods=["POST"])
def reprint(class_id: int, pupil_id: int):
    klass = _class(class_id)
    pupil = _in_class(klass, Pupil, pupil_id, lambda row: row.class_id)
    _button()
    try:
        card = services.reprint_card(current_user, pupil)
    except ServiceError as error:
        return _refused(error, "schools.dashboard", class_id=klass.id)
    db.session.commit()
    return _sheet(klass, [card])


@bp.route("/classes/<int:class_id>/cards/<int:pupil_id>/revoke", methods=["POST"])
def revoke(class_id: int, pupil_id: int):
    klass = _class(class_id)
    pupil = _in_class(klass, Pupil, pupil_id, lambda row: row.class_id)
    _button()
    return _run(partial(services.revoke_card, current_user, pupil), _("The card was cancelled: it no longer works."),
                "schools.dashboard", class_id=klass.id)


@bp.route("/classes/<int:class_id>/ideas/<int:idea_id>/moderate", methods=["POST"])
def moderate_idea(class_id: int, idea_id: int):
    klass = _class(class_id)
    idea = _in_class(klass, PupilIdea, idea_id, lambda row: row.class_id)
    return _moderate(klass, services.moderate_idea, idea, _("Idea approved."), _("Idea refused."))


@bp.route("/classes/<int:class_id>/comments/<int:comment_id>/moderate", methods=["POST"])
def moderate_comment(class_id: int, comment_id: int):
    klass = _class(class_id)
    note = _in_class(klass, PupilComment, comment_id, lambda row: row.pupil.class_id if row.pupil else None)
    return _moderate(klass, services.moderate_comment, note, _("Comment approved."), _("Comment refused."))


def _moderate(klass: SchoolClass, decide, target, approved: str, refused: str):
    """The teacher's decision on a pupil's idea or comment (``decide`` is the service), back to the dashboard."""
    form = ModerateForm()
    if not form.validate_on_submit():
        abort(400)
    approve = form.decision.data == "approve"
    try:
        decide(current_user, target, approve)
    except ServiceError as error:
        return _refused(error, "schools.dashboard", class_id=klass.id)
    return _done(approved if approve else refused, "schools.dashboard", class_id=klass.id)


@bp.route("/classes/<int:class_id>/erase", methods=["POST"])
def erase(class_id: int):
    klass = _class(class_id)
    _button()
    if request.form.get("confirm") != "yes":  # cannot be undone: the teacher ticks a box first
        return _dashboard(klass, 422, erase_error=_("Tick the box to confirm: the erasure cannot be undone."))
    return _run(partial(services.erase_pupils, current_user, klass),
                _("The pupils' data were erased; the class keeps its results and totals."), "schools.dashboard",
                class_id=klass.id)


@bp.route("/classes/<int:class_id>/delete", methods=["POST"])
def delete_class(class_id: int):
    klass = _class(class_id)
    return _delete(partial(services.delete_class, current_user, klass),
                   _("Tick the box to confirm that the class is deleted."), _("The class was deleted."),
                   "schools.dashboard", class_id=klass.id)


@bp.route("/classes/<int:class_id>/ideas/<int:idea_id>/city", methods=["POST"])
def to_city(class_id: int, idea_id: int):
    klass = _class(class_id)
    idea = _in_class(klass, PupilIdea, idea_id, lambda row: row.class_id)
    form = _city_form(klass)
    if not form.validate_on_submit():
        flash(_("Please choose a budget of the city that is open for proposals."), "error")
        return redirect(url_for("schools.dashboard", class_id=klass.id), 303)
    try:
        services.submit_to_city(current_user, idea, db.session.get(Cycle, form.cycle.data))
    except ServiceError as error:
        return _refused(error, "schools.dashboard", class_id=klass.id)
    return _done(_("The idea was sent to the city's budget. You will be told how it goes."), "schools.dashboard",
                 class_id=klass.id)


# --- Pupils -----------------------------------------------------------------------------------------------------------

def _failed(response) -> bool:
    return response.status_code >= 400


_sign_in_limited = limiter.shared_limit(lambda: current_app.config["PUPIL_RATE_LIMIT"], scope="pupil-sign-in",
                                        methods=["POST"], deduct_when=_failed)


def _pupil() -> Pupil:
    if g.pupil is None:
        abort(redirect(url_for("schools.sign_in")))
    return g.pupil


@bp.route("/pupil/sign-in", methods=["GET", "POST"])
@_sign_in_limited
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            pupil = services.sign_in(form.class_code.data, form.card_code.data)
        except ServiceError as error:
            _fail(form, error)
        else:
            session[PUPIL_SESSION] = [pupil.id, pupil.code_hash[:services.SESSION_HASH]]
            return redirect(url_for("schools.pupil_home"), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("schools/pupil_sign_in.html", form=form), status


@bp.route("/pupil/sign-out", methods=["POST"])
def sign_out():
    _button()
    session.pop(PUPIL_SESSION, None)
    return redirect(url_for("schools.sign_in"), 303)


@bp.route("/pupil/")
def pupil_home():
    pupil = _pupil()
    cycle = pupil.school_class.cycle
    return render_template("schools/pupil_home.html", pupil=pupil, cycle=cycle,
                           phase=services.class_phase(pupil.school_class), ideas=services.ideas_of(cycle),
                           mine=services.my_ideas(pupil), voted=services.has_voted(pupil),
                           form=ActionForm(), euros=euros)


def _idea_form(pupil: Pupil, idea: PupilIdea | None = None) -> tuple[IdeaForm, dict]:
    """The idea form (filled with ``idea`` on a GET) and the class's price list it offers, by id."""
    form = IdeaForm(data=None if idea is None else {"title": idea.proposal.title, "why": idea.proposal.body,
                                                    "price": idea.price_item_id})
    prices = {item.id: item for item in services.prices_of(pupil.school_class)}
    form.price.choices = choices([(item.id, f"{item.label} — {euros(item.cost_cents)}")
                                  for item in prices.values()])
    return form, prices


def _save_idea(form: IdeaForm, prices: dict, save, done: str, endpoint: str, **values):
    """``_submitted`` for the idea form: ``save(title, why, price, image)``."""
    return _submitted(form, lambda: save(form.title.data, form.why.data, prices.get(form.price.data),
                                         request.files.get(form.image.name)), done, endpoint, **values)


@bp.route("/pupil/ideas/new", methods=["GET", "POST"])
def new_idea():
    pupil = _pupil()
    if services.class_phase(pupil.school_class) != PhaseKind.SUBMISSION:
        flash(_("It is not the time for new ideas."), "error")
        return redirect(url_for("schools.pupil_home"), 303)
    form, prices = _idea_form(pupil)
    done = _save_idea(form, prices, partial(services.propose, pupil),
                      _("Thank you! Your teacher will read your idea soon."), "schools.pupil_home")
    if done is not None:
        return done
    status = 422 if form.errors or form.form_errors else 200
    return render_template("schools/pupil_idea_new.html", form=form, prices=prices, idea=None), status


def _my_idea(pupil: Pupil, idea_id: int) -> PupilIdea:
    row = db.session.get(PupilIdea, idea_id)
    if row is None or not pupil_can(pupil, "idea.change", row):
        abort(404)
    return row


def _unchangeable(idea: PupilIdea):
    flash(_("This idea can no longer change."), "error")
    return redirect(url_for("schools.idea", idea_id=idea.id), 303)


@bp.route("/pupil/ideas/<int:idea_id>/change", methods=["GET", "POST"])
def change_idea(idea_id: int):
    pupil = _pupil()
    row = _my_idea(pupil, idea_id)
    if not services.can_change_idea(pupil, row):
        return _unchangeable(row)
    form, prices = _idea_form(pupil, row)
    done = _save_idea(form, prices, partial(services.change_idea, pupil, row),
                      _("Your idea was changed. Your teacher will read it soon."), "schools.idea", idea_id=row.id)
    if done is not None:
        return done
    status = 422 if form.errors or form.form_errors else 200
    return render_template("schools/pupil_idea_new.html", form=form, prices=prices, idea=row), status


@bp.route("/pupil/ideas/<int:idea_id>/withdraw", methods=["GET", "POST"])
def withdraw_idea(idea_id: int):
    """A page that asks first (it works without JavaScript), then takes the idea back."""
    pupil = _pupil()
    row = _my_idea(pupil, idea_id)
    if request.method == "GET":
        if not services.can_withdraw_idea(pupil, row):
            return _unchangeable(row)
        return render_template("schools/pupil_idea_withdraw.html", idea=row, form=ActionForm())
    _button()
    return _run(partial(services.withdraw_idea, pupil, row), _("Your idea was taken back."), "schools.idea",
                then="schools.pupil_home", idea_id=idea_id)


@bp.route("/pupil/ideas/<int:idea_id>", methods=["GET", "POST"])
def idea(idea_id: int):
    pupil = _pupil()
    row = db.session.get(PupilIdea, idea_id)
    if row is None or not pupil_can(pupil, "idea.view", row):
        abort(404)
    form = CommentForm()
    done = _submitted(form, lambda: services.comment(pupil, row, form.stance.data, form.body.data),
                      _("Thank you! Your teacher will read your comment soon."), "schools.idea", idea_id=row.id)
    if done is not None:
        return done
    status = 422 if form.errors or form.form_errors else 200
    can_comment = row.state == Moderation.APPROVED and services.class_phase(pupil.school_class) in (
        PhaseKind.SUBMISSION, PhaseKind.REVIEW)
    return render_template("schools/pupil_idea.html", idea=row, form=form, can_comment=can_comment,
                           comments=services.comments_of(row, pupil), pupil=pupil,
                           can_change=services.can_change_idea(pupil, row),
                           can_withdraw=services.can_withdraw_idea(pupil, row)), status


@bp.route("/pupil/vote", methods=["GET", "POST"])
def vote():
    pupil = _pupil()
    cycle = pupil.school_class.cycle
    if services.class_phase(pupil.school_class) != PhaseKind.VOTING or services.has_voted(pupil):
        return redirect(url_for("schools.pupil_home"), 303)
    from app.voting.services import rules_for

    form = ActionForm()
    problems = []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = [value for value in request.form.getlist("idea") if value.isdigit()]
        try:
            services.vote(pupil, [int(value) for value in chosen])
        except ServiceError as error:
            db.session.rollback()
            messages = getattr(error, "errors", None)
            problems = [str(m) for ms in messages.values() for m in ms] if isinstance(messages, dict) else [
                str(error.message)]
        else:
            return _done(_("Thank you! Your vote is recorded. It is secret."), "schools.pupil_home")
    status = 422 if problems else 200
    return render_template("schools/pupil_vote.html", cycle=cycle, items=services.ballot_items(cycle),
                           rules=rules_for(cycle), form=form, problems=problems,
                           ideas={i.proposal_id: i for i in services.ideas_of(cycle)}), status


@bp.route("/pupil/results")
def results():
    pupil = _pupil()
    run, rows = services.results(pupil.school_class.cycle)
    if run is None:
        return redirect(url_for("schools.pupil_home"), 303)
    return render_template("schools/pupil_results.html", run=run, rows=rows, cycle=pupil.school_class.cycle)


@bp.route("/images/<token>")
def image(token: str):
    row = db.session.scalar(select(ProposalImage).where(ProposalImage.token == token[:40]))
    idea = db.session.scalar(select(PupilIdea).where(PupilIdea.proposal_id == row.proposal_id)) if row else None
    if idea is None or not (pupil_can(g.pupil, "idea.view", idea)
                            or can(current_user, "class.manage", idea.school_class)):
        abort(404)
    response = make_response(row.data)
    response.headers["Content-Type"] = row.content_type
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = "inline"
    return response
