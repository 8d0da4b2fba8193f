"""The schools module and the lessons: a class's dashboard shows its quiz progress; erasing the class deletes the
pupils' answers and keeps only the anonymous totals per lesson."""

from sqlalchemy import select

from app.lessons import services as lessons
from app.lessons.content import LESSONS
from app.lessons.models import QuizAnswers
from app.schools import services
from tests.conftest import login
from tests.schools.conftest import make_class


def _all_right(lesson) -> dict[str, str]:
    return {question.key: question.answer for question in lesson.questions}


def _half_right(lesson) -> dict[str, str]:
    wrong = {q.key: next(c.key for c in q.choices if c.key != q.answer) for q in lesson.questions}
    return wrong | {lesson.questions[0].key: lesson.questions[0].answer}


def test_dashboard_progress_counts_the_class_pupils_only(db):
    klass, teacher, cards = make_class(cards=3)
    other, _, other_cards = make_class(cards=1)
    first = LESSONS[0]
    lessons.record_answers(cards[0].pupil.learner_key, first.slug, _all_right(first))
    lessons.record_answers(cards[1].pupil.learner_key, first.slug, _half_right(first))
    lessons.record_answers(other_cards[0].pupil.learner_key, first.slug, _all_right(first))
    progress = services.lesson_progress(klass)
    row = progress["totals"][0]
    assert (row["slug"], row["done"], row["score"], row["questions"]) == (
        first.slug, 2, len(first.questions) + 1, 2 * len(first.questions))
    assert all(r["done"] == 0 for r in progress["totals"][1:])
    per_card = dict(progress["pupils"])
    assert per_card[cards[0].pupil.pseudonym]["done"] == 1 and per_card[cards[2].pupil.pseudonym]["done"] == 0
    assert len(per_card) == 3  # the other class's pupil is not there


def test_erasure_deletes_answers_and_keeps_anonymous_totals(db):
    klass, teacher, cards = make_class(cards=2)
    other, _, other_cards = make_class(cards=1)
    first = LESSONS[0]
    for card in cards + other_cards:
        lessons.record_answers(card.pupil.learner_key, first.slug, _all_right(first))
    services.erase_pupils(teacher, klass)
    keys = set(db.session.scalars(select(QuizAnswers.learner_key)))
    assert keys == {other_cards[0].pupil.learner_key}
    progress = services.lesson_progress(klass)
    assert progress["pupils"] == [] and progress["totals"][0]["done"] == 2
    assert str(progress["totals"][0]["title"]) == str(first.title)


def test_dashboard_page_shows_lesson_progress(client, db):
    klass, teacher, cards = make_class(cards=1)
    first = LESSONS[0]
    lessons.record_answers(cards[0].pupil.learner_key, first.slug, _all_right(first))
    db.session.commit()
    login(client, teacher)
    page = client.get(f"/school/classes/{klass.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    section = html[html.index('id="lesson-progress"'):]
    assert str(first.title) in section and "<td>1</td>" in section and cards[0].pupil.pseudonym in section


def test_the_city_projects_lesson_never_shows_a_school_budget(db):
    from app.proposals.models import ProposalStatus
    from tests.factories import make_cycle, make_proposal

    city = make_cycle()
    make_proposal(city, status=ProposalStatus.SELECTED)
    klass, teacher, cards = make_class(cards=1)  # created after the city's cycle
    idea = services.propose(cards[0].pupil, "Un banc", "Pour lire dehors.", services.prices_of(klass)[0])
    idea.proposal.status = ProposalStatus.SELECTED
    db.session.flush()
    assert lessons.city_cycle().id == city.id


def test_a_signed_in_pupil_card_keeps_its_quiz_answers(client, db):
    """The lessons read the pupil of the schools module (``g.pupil``): a real card's answers are kept under its key,
    and a revoked card's session keeps nothing more."""
    from tests.conftest import csrf_token
    from tests.schools.test_views import sign_in_pupil

    klass, teacher, cards = make_class(cards=1)
    db.session.commit()
    sign_in_pupil(client, klass, cards[0].code)
    assert 'href="/lessons/"' in client.get("/school/pupil/").get_data(as_text=True)
    first = LESSONS[0]
    answers = {f"q-{key}": value for key, value in _all_right(first).items()}
    response = client.post(f"/lessons/{first.slug}/quiz",
                           data={"csrf_token": csrf_token(client, f"/lessons/{first.slug}"), **answers})
    assert response.status_code == 200
    assert lessons.progress([cards[0].pupil.learner_key])[cards[0].pupil.learner_key]["done"] == 1
    services.erase_pupils(teacher, klass)
    db.session.commit()
    client.post(f"/lessons/{first.slug}/quiz",
                data={"csrf_token": csrf_token(client, f"/lessons/{first.slug}"), **answers})
    assert db.session.scalars(select(QuizAnswers)).all() == []
