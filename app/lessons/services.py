"""What the lessons do: check quiz answers, keep each pupil's latest answers, report progress, erase it.

Learners are known only by a key (a pupil card's ``"pupil:<id>"``): no name, no account. Answers are never graded
in public: the pupil sees their own feedback, the teacher sees the class's progress through the schools module,
which calls :func:`progress` and :func:`erase`. Services flush; the caller commits.
"""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.core.clock import utcnow
from app.core.errors import ServiceError
from app.cycles.models import Cycle
from app.extensions import db
from app.lessons.content import LESSONS, Lesson, Question
from app.lessons.content import get as get_lesson
from app.lessons.models import QuizAnswers
from app.proposals.models import Proposal

LEARNER_KEY = re.compile(r"^pupil:[1-9][0-9]{0,17}$")


@dataclass(frozen=True)
class Feedback:
    question: Question
    given: str
    right: bool


@dataclass(frozen=True)
class Checked:
    lesson: Lesson
    feedback: tuple[Feedback, ...]

    @property
    def score(self) -> int:
        return sum(1 for f in self.feedback if f.right)

    @property
    def total(self) -> int:
        return len(self.feedback)

    @property
    def answers(self) -> dict[str, str]:
        return {f.question.key: f.given for f in self.feedback}


class QuizError(ServiceError):
    """Answers that cannot be checked; ``missing`` lists the question keys left unanswered or answered wrongly."""

    def __init__(self, message, missing: list[str]):
        super().__init__(message)
        self.missing = missing


def _lesson(slug: str) -> Lesson:
    lesson = get_lesson(slug)
    if lesson is None:
        raise ServiceError(_l("This lesson does not exist."))
    return lesson


def check_answers(lesson_slug: str, answers: dict[str, str]) -> Checked:
    """Each question's answer, right or wrong. Every question must get one of its own choices (QuizError if not);
    answers to questions the quiz does not have are refused too."""
    lesson = _lesson(lesson_slug)
    answers = answers or {}
    unknown = [key for key in answers if lesson.question(key) is None]
    if unknown:
        raise QuizError(_l("These answers do not belong to this quiz. Reload the page and try again."), unknown)
    missing = [q.key for q in lesson.questions if q.choice(str(answers.get(q.key, ""))) is None]
    if missing:
        raise QuizError(_l("Choose one answer for each question."), missing)
    return Checked(lesson, tuple(Feedback(q, answers[q.key], answers[q.key] == q.answer) for q in lesson.questions))


def _learner(learner_key: str) -> str:
    if not isinstance(learner_key, str) or not LEARNER_KEY.match(learner_key):
        raise ServiceError(_l("Only a pupil signed in with their card can keep their answers."))
    return learner_key


def record_answers(learner_key: str, lesson_slug: str, answers: dict[str, str]) -> Checked:
    """Check the answers and keep them as the learner's latest attempt at this lesson's quiz (one row per learner
    and lesson; a new attempt replaces the previous one and counts the attempts). Nothing is written if the
    answers are incomplete or invalid."""
    key = _learner(learner_key)
    checked = check_answers(lesson_slug, answers)
    values = {"answers": checked.answers, "score": checked.score, "questions": checked.total,
              "answered_at": utcnow()}
    row = _row(key, lesson_slug)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(QuizAnswers(learner_key=key, lesson_slug=lesson_slug, attempts=1, **values))
            return checked
        except IntegrityError:  # the same pupil sent the quiz twice at once: the other one won, update it
            row = _row(key, lesson_slug)
    for name, value in values.items():
        setattr(row, name, value)
    row.attempts += 1
    db.session.flush()
    return checked


def _row(learner_key: str, lesson_slug: str) -> QuizAnswers | None:
    return db.session.scalar(select(QuizAnswers).where(QuizAnswers.learner_key == learner_key,
                                                       QuizAnswers.lesson_slug == lesson_slug))


def latest(learner_key: str, lesson_slug: str) -> Checked | None:
    """The learner's last checked attempt at this quiz, or None."""
    row = _row(learner_key, lesson_slug)
    if row is None:
        return None
    try:
        return check_answers(lesson_slug, row.answers)
    except ServiceError:  # the quiz changed since: the old answers no longer fit
        return None


def progress(learner_keys: list[str]) -> dict[str, dict]:
    """Per learner key (every key asked for, even without answers)::

        {"lessons_done": ["public-budget", ...],  # in the lessons' order
         "done": 2, "lessons": 6,                  # quizzes answered / lessons there are
         "score": 5, "questions": 6,               # right answers / questions, over the quizzes answered
         "per_lesson": {"public-budget": {"score": 3, "questions": 3, "attempts": 1, "answered_at": datetime}}}
    """
    order = {lesson.slug: i for i, lesson in enumerate(LESSONS)}
    result = {key: {"lessons_done": [], "done": 0, "lessons": len(LESSONS), "score": 0, "questions": 0,
                    "per_lesson": {}} for key in learner_keys}
    if not learner_keys:
        return result
    rows = db.session.scalars(select(QuizAnswers).where(QuizAnswers.learner_key.in_(list(learner_keys))))
    for row in rows:
        if row.lesson_slug not in order:
            continue
        entry = result[row.learner_key]
        entry["per_lesson"][row.lesson_slug] = {"score": row.score, "questions": row.questions,
                                                "attempts": row.attempts, "answered_at": row.answered_at}
        entry["score"] += row.score
        entry["questions"] += row.questions
    for entry in result.values():
        entry["lessons_done"] = sorted(entry["per_lesson"], key=order.__getitem__)
        entry["done"] = len(entry["lessons_done"])
    return result


def lesson_totals(learner_keys: list[str]) -> list[dict]:
    """Anonymous totals of a group of learners (a class), one per lesson in order, for a teacher's dashboard or to
    keep after the erasure: ``{"slug", "lesson", "done" (learners who answered its quiz), "score", "questions"}``
    (right answers and questions summed over those learners)."""
    per_learner = progress(learner_keys).values()
    totals = []
    for lesson in LESSONS:
        rows = [entry["per_lesson"][lesson.slug] for entry in per_learner if lesson.slug in entry["per_lesson"]]
        totals.append({"slug": lesson.slug, "lesson": lesson, "done": len(rows),
                       "score": sum(r["score"] for r in rows), "questions": sum(r["questions"] for r in rows)})
    return totals


def erase(learner_keys: list[str]) -> int:
    """Delete every answer of these learners (end of the school year, a revoked card). Returns the rows deleted."""
    if not learner_keys:
        return 0
    result = db.session.execute(delete(QuizAnswers).where(QuizAnswers.learner_key.in_(list(learner_keys))))
    return result.rowcount or 0


def city_cycle() -> Cycle | None:
    """The most recent city budget cycle (never a school's) with projects chosen by the vote, for the lesson on the
    city's projects."""
    from app.cycles.models import CITY_CYCLES
    from app.tracking.services import TRACKABLE

    return db.session.scalar(
        select(Cycle).where(CITY_CYCLES, Cycle.id.in_(select(Proposal.cycle_id).where(Proposal.status.in_(TRACKABLE))))
        .order_by(Cycle.created_at.desc(), Cycle.id.desc()).limit(1)
    )
