"""Lesson pages, quizzes and guides through the test client, role by role, with and without a signed-in pupil."""

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.lessons import services
from app.lessons.content import LESSONS, get
from app.lessons.models import QuizAnswers
from app.proposals.models import ProposalStatus
from tests.conftest import csrf_token
from tests.factories import make_cycle, make_proposal
from tests.lessons.conftest import make_pupil

GUIDE_ROLES = {Role.TEACHER, Role.OFFICIAL}


def right(slug: str) -> dict[str, str]:
    return {f"q-{q.key}": q.answer for q in get(slug).questions}


def stored(db) -> int:
    return db.session.scalar(select(func.count()).select_from(QuizAnswers))


def send_quiz(client, slug: str, answers: dict[str, str], token: bool = True):
    data = dict(answers)
    if token:
        data["csrf_token"] = csrf_token(client, f"/lessons/{slug}")
    return client.post(f"/lessons/{slug}/quiz", data=data)


def test_anyone_reads_every_lesson_without_the_guide_link(client):
    page = client.get("/lessons/").get_data(as_text=True)
    assert "Leçons" in page or "Lessons" in page
    assert "/guide" not in page
    for lesson in LESSONS:
        response = client.get(f"/lessons/{lesson.slug}")
        assert response.status_code == 200, lesson.slug
        html = response.get_data(as_text=True)
        assert 'name="csrf_token"' in html and "/guide" not in html
        assert html.count("<h1") == 1


def test_every_role_reads_lessons_and_only_teachers_and_officials_read_guides(client, login_as, any_role):
    login_as(any_role)
    assert client.get("/lessons/counting-votes").status_code == 200
    expected = 200 if any_role in GUIDE_ROLES else 403
    for lesson in LESSONS:
        assert client.get(f"/lessons/{lesson.slug}/guide").status_code == expected
    index = client.get("/lessons/").get_data(as_text=True)
    assert ("/lessons/public-budget/guide" in index) == (any_role in GUIDE_ROLES)


def test_a_guide_gives_objectives_duration_steps_and_answers(client, login_as):
    login_as(Role.TEACHER, locale="en")
    html = client.get("/lessons/counting-votes/guide", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Objectives" in html and "about 55 minutes" in html and "How to run it in class" in html
    assert "With equal shares" in html  # the right answer of the last question


def test_a_visitor_must_sign_in_for_a_guide_and_unknown_lessons_are_404(client):
    response = client.get("/lessons/public-budget/guide")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/lessons/no-such-lesson").status_code == 404
    assert client.post("/lessons/no-such-lesson/quiz").status_code in (400, 404)


def test_a_visitor_gets_feedback_and_nothing_is_kept(client, db):
    answers = right("public-budget") | {"q-source": "mayor"}
    response = send_quiz(client, "public-budget", answers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 bonnes réponses sur 3" in html
    assert stored(db) == 0


def test_a_pupil_keeps_their_answers_under_their_card_and_sees_them(client, db, sign_in_pupil):
    sign_in_pupil(make_pupil(7))
    response = send_quiz(client, "arguing-kindly", right("arguing-kindly"))
    assert response.status_code == 200
    assert "3 bonnes réponses sur 3" in response.get_data(as_text=True)
    assert services.progress(["pupil:7"])["pupil:7"]["lessons_done"] == ["arguing-kindly"]
    row = db.session.scalar(select(QuizAnswers))
    assert row.learner_key == "pupil:7"  # the card's key, no name
    assert "Tu as déjà fait ce quiz" in client.get("/lessons/arguing-kindly").get_data(as_text=True)
    assert "Quiz fait\u00a0: 3 bonnes réponses sur 3" in client.get("/lessons/").get_data(as_text=True)


def test_a_pupil_never_sees_another_pupils_answers(client, db, sign_in_pupil):
    services.record_answers("pupil:8", "arguing-kindly", {q.key: q.answer for q in get("arguing-kindly").questions})
    db.session.commit()
    sign_in_pupil(make_pupil(7))
    assert "déjà fait ce quiz" not in client.get("/lessons/arguing-kindly").get_data(as_text=True)


@pytest.mark.parametrize("answers", [{}, {"q-source": "taxes"}, {"q-source": "taxes", "q-investment": "park",
                                                                 "q-choose": "<script>"}])
def test_incomplete_or_invalid_answers_get_a_translated_error_and_change_nothing(client, db, sign_in_pupil, answers):
    sign_in_pupil(make_pupil(7))
    response = send_quiz(client, "public-budget", answers)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choisis une réponse pour chaque question." in html
    assert "<script>" not in html
    assert stored(db) == 0


def test_the_quiz_needs_its_csrf_token(client, db, sign_in_pupil):
    sign_in_pupil(make_pupil(7))
    assert send_quiz(client, "public-budget", right("public-budget"), token=False).status_code == 400
    assert stored(db) == 0


def test_the_counting_lesson_counts_without_javascript_and_refuses_bad_money(client):
    html = client.get("/lessons/counting-votes").get_data(as_text=True)
    assert "20 bulletins comptés" in html and "12 votants sur 20" in html and "20 votants sur 20" in html
    sports = "&".join(f"ballot={n}" for n in range(1, 13))
    recount = client.get(f"/lessons/counting-votes?recount=1&budget=2000&{sports}")
    assert recount.status_code == 200 and "12 bulletins comptés" in recount.get_data(as_text=True)
    bad = client.get("/lessons/counting-votes?recount=1&budget=beaucoup&ballot=1")
    assert bad.status_code == 422
    assert "montant en euros" in bad.get_data(as_text=True)
    assert client.get("/lessons/counting-votes?recount=1&ballot=99").status_code == 422


def test_the_city_lesson_shows_the_projects_chosen_by_the_vote(client, db):
    assert "Aucun projet" in client.get("/lessons/city-projects").get_data(as_text=True)
    cycle = make_cycle()
    make_proposal(cycle, title="Des bancs au parc", status=ProposalStatus.SELECTED, city_cost_cents=500_000)
    make_proposal(cycle, title="Idée écartée", status=ProposalStatus.NOT_SELECTED)
    db.session.commit()
    html = client.get("/lessons/city-projects").get_data(as_text=True)
    assert "Des bancs au parc" in html and "Idée écartée" not in html


def test_a_pupil_whose_class_vote_has_closed_counts_their_class_ballots(client, db, sign_in_pupil):
    from tests.results.conftest import make_counted_city

    city = make_counted_city()
    db.session.commit()
    sign_in_pupil(make_pupil(7, cycle=city.cycle))
    html = client.get("/lessons/counting-votes").get_data(as_text=True)
    assert "les vrais bulletins du vote de ta classe" in html and "13 bulletins comptés" in html


def test_the_pupils_pseudonym_is_escaped_and_a_bad_card_key_is_refused_without_writing(client, db, sign_in_pupil):
    pupil = sign_in_pupil(make_pupil(7, pseudonym="<b>Loup</b>"))
    assert "&lt;b&gt;Loup&lt;/b&gt;" in client.get("/lessons/").get_data(as_text=True)
    pupil.learner_key = "Jean Dupont"  # not a card key: never stored
    response = send_quiz(client, "public-budget", right("public-budget"))
    assert response.status_code == 422 and stored(db) == 0


def test_how_it_works_links_to_the_lessons(client):
    html = client.get("/about").get_data(as_text=True)
    assert 'href="/lessons/"' in html and 'href="/lessons/counting-votes"' in html
