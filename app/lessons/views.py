"""Lesson pages, quizzes and teacher's guides.

The pupil of the request, when one is signed in with their card, is ``g.get("pupil")`` (set by the schools
module): their quiz answers are kept under ``pupil.learner_key``. Everyone else may read and try the quizzes;
their answers are checked and shown, never stored.
"""

from flask import Blueprint, abort, g, render_template, request
from flask_login import current_user

from app.core.errors import ServiceError
from app.core.permissions import require
from app.extensions import db
from app.lessons import content, counting, services
from app.lessons.permissions import can

bp = Blueprint("lessons", __name__, template_folder="templates", url_prefix="/lessons")


@bp.app_context_processor
def lessons_helpers():
    return {"can_lessons": can}


def _pupil():
    return g.get("pupil")


def _lesson(slug: str) -> content.Lesson:
    return content.get(slug[:40]) or abort(404)


def _next(lesson: content.Lesson) -> content.Lesson | None:
    position = content.LESSONS.index(lesson)
    return content.LESSONS[position + 1] if position + 1 < len(content.LESSONS) else None


def _lesson_page(lesson: content.Lesson, status: int = 200, **extra):
    """The lesson with what its body needs: the counting simulation, the city's projects, the pupil's last try."""
    pupil = _pupil()
    context = {"lesson": lesson, "pupil": pupil, "next_lesson": _next(lesson), "errors": {}, "given": {},
               "latest": services.latest(pupil.learner_key, lesson.slug) if can(current_user, "keep_answers", pupil)
               else None}
    if lesson.slug == content.COUNTING:
        context.update(_simulation(pupil))
        status = 422 if context["sim_error"] and status == 200 else status
    if lesson.slug == content.CITY_PROJECTS:
        from app.tracking.services import STATUS_ORDER, outcomes, totals

        cycle = services.city_cycle()
        items = outcomes(cycle) if cycle is not None else []
        context.update(city_cycle=cycle, city_items=items, city_totals=totals(items), city_statuses=STATUS_ORDER)
    context.update(extra)
    return render_template("lessons/lesson.html", **context), status


def _simulation(pupil) -> dict:
    source = counting.source_for(pupil)
    error, budget, counted = None, None, None
    if "recount" in request.args:
        try:
            budget = counting.parse_budget(request.args.get("budget"), source.budget_cents)
            counted = counting.parse_counted(request.args.getlist("ballot"), source)
        except ServiceError as failure:
            error, budget, counted = failure, None, None
    return {"sim": counting.simulate(source, budget, counted), "sim_error": error,
            "budget_text": request.args.get("budget", "") if error else ""}


@bp.route("/")
def index():
    pupil = _pupil()
    mine = None
    if can(current_user, "keep_answers", pupil):
        mine = services.progress([pupil.learner_key])[pupil.learner_key]
    return render_template("lessons/index.html", lessons=content.LESSONS, pupil=pupil, mine=mine)


@bp.route("/<slug>")
def show(slug: str):
    return _lesson_page(_lesson(slug))


@bp.route("/<slug>/quiz", methods=["POST"])
def quiz(slug: str):
    lesson = _lesson(slug)
    pupil = _pupil()
    answers = {name[2:]: value for name, value in request.form.items() if name.startswith("q-")}
    try:
        if can(current_user, "keep_answers", pupil):
            checked = services.record_answers(pupil.learner_key, lesson.slug, answers)
        else:
            checked = services.check_answers(lesson.slug, answers)
    except ServiceError as error:  # QuizError names the questions to fix
        db.session.rollback()
        return _lesson_page(lesson, 422, quiz_error=error, errors=set(getattr(error, "missing", ())), given=answers)
    db.session.commit()
    return render_template("lessons/result.html", lesson=lesson, checked=checked, pupil=pupil,
                           kept=can(current_user, "keep_answers", pupil), next_lesson=_next(lesson))


@bp.route("/<slug>/guide")
@require(can, "guide")
def guide(slug: str):
    return render_template("lessons/guide.html", lesson=_lesson(slug), lessons=content.LESSONS)
