"""Quiz answers per learner key: checking, keeping the latest attempt, progress for the teacher, erasure."""

import pytest
from sqlalchemy import func, select

from app.core.errors import ServiceError
from app.lessons import services
from app.lessons.content import LESSONS, get
from app.lessons.models import QuizAnswers


def right(slug: str) -> dict[str, str]:
    return {q.key: q.answer for q in get(slug).questions}


def wrong_first(slug: str) -> dict[str, str]:
    answers = right(slug)
    first = get(slug).questions[0]
    answers[first.key] = next(c.key for c in first.choices if c.key != first.answer)
    return answers


def rows(db) -> int:
    return db.session.scalar(select(func.count()).select_from(QuizAnswers))


def test_every_lesson_has_a_quiz_whose_answers_are_among_its_choices():
    assert 5 <= len(LESSONS) <= 7
    for lesson in LESSONS:
        assert 2 <= len(lesson.questions) <= 5
        for question in lesson.questions:
            assert question.choice(question.answer) is not None
            assert len({c.key for c in question.choices}) == len(question.choices)


def test_check_answers_scores_each_question(ctx):
    checked = services.check_answers("public-budget", wrong_first("public-budget"))
    assert (checked.score, checked.total) == (2, 3)
    assert [f.right for f in checked.feedback] == [False, True, True]


@pytest.mark.parametrize("answers", [
    {},  # nothing answered
    {"source": "taxes", "investment": "park"},  # one question left out
    {"source": "taxes", "investment": "park", "choose": "nonsense"},  # not one of the choices
    {"source": "taxes", "investment": "park", "choose": "limited", "extra": "x"},  # not a question of this quiz
])
def test_incomplete_or_invalid_answers_are_refused_and_nothing_is_written(ctx, answers):
    with pytest.raises(services.QuizError):
        services.record_answers("pupil:1", "public-budget", answers)
    assert rows(ctx) == 0


def test_unknown_lesson_and_bad_learner_keys_are_refused(ctx):
    with pytest.raises(ServiceError):
        services.record_answers("pupil:1", "no-such-lesson", {})
    for key in ("", "Jean Dupont", "pupil:", "pupil:abc", "user:3", None):
        with pytest.raises(ServiceError):
            services.record_answers(key, "public-budget", right("public-budget"))
    assert rows(ctx) == 0


def test_a_new_attempt_replaces_the_previous_one_and_counts_attempts(ctx):
    services.record_answers("pupil:1", "public-budget", wrong_first("public-budget"))
    services.record_answers("pupil:1", "public-budget", right("public-budget"))
    row = ctx.session.scalar(select(QuizAnswers))
    assert (row.score, row.questions, row.attempts) == (3, 3, 2)
    assert row.answers == right("public-budget")
    assert services.latest("pupil:1", "public-budget").score == 3


def test_progress_per_learner_with_every_key_asked_for(ctx):
    services.record_answers("pupil:1", "counting-votes", right("counting-votes"))
    services.record_answers("pupil:1", "public-budget", wrong_first("public-budget"))
    services.record_answers("pupil:2", "arguing-kindly", right("arguing-kindly"))
    result = services.progress(["pupil:1", "pupil:3"])
    assert set(result) == {"pupil:1", "pupil:3"}  # pupil 2 was not asked for
    one = result["pupil:1"]
    assert one["lessons_done"] == ["public-budget", "counting-votes"]  # in the lessons' order
    assert (one["done"], one["lessons"], one["score"], one["questions"]) == (2, len(LESSONS), 5, 6)
    assert one["per_lesson"]["public-budget"]["attempts"] == 1
    assert result["pupil:3"] == {"lessons_done": [], "done": 0, "lessons": len(LESSONS), "score": 0,
                                 "questions": 0, "per_lesson": {}}
    assert services.progress([]) == {}


def test_erase_deletes_only_the_learners_given(ctx):
    services.record_answers("pupil:1", "public-budget", right("public-budget"))
    services.record_answers("pupil:1", "arguing-kindly", right("arguing-kindly"))
    services.record_answers("pupil:2", "public-budget", right("public-budget"))
    assert services.erase(["pupil:1", "pupil:9"]) == 2
    assert services.erase([]) == 0
    assert services.progress(["pupil:1"])["pupil:1"]["done"] == 0
    assert services.progress(["pupil:2"])["pupil:2"]["done"] == 1


def test_the_database_refuses_a_second_row_for_the_same_learner_and_lesson(ctx):
    from sqlalchemy.exc import IntegrityError

    services.record_answers("pupil:1", "public-budget", right("public-budget"))
    with pytest.raises(IntegrityError), ctx.session.begin_nested():
        ctx.session.add(QuizAnswers(learner_key="pupil:1", lesson_slug="public-budget", answers={}, score=0,
                                    questions=3))
        ctx.session.flush()


def test_lesson_totals_count_a_class_without_naming_anyone(ctx):
    services.record_answers("pupil:1", "public-budget", right("public-budget"))
    services.record_answers("pupil:2", "public-budget", wrong_first("public-budget"))
    services.record_answers("pupil:9", "public-budget", right("public-budget"))  # another class
    totals = services.lesson_totals(["pupil:1", "pupil:2", "pupil:3"])
    assert [t["slug"] for t in totals] == [lesson.slug for lesson in LESSONS]
    budget = totals[0]
    assert (budget["done"], budget["score"], budget["questions"]) == (2, 5, 6)
    assert all(t["done"] == 0 for t in totals[1:])
