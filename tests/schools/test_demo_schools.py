"""The schools' demo data: a school with two classes, cards, waiting ideas and comments, a finished class vote."""

from sqlalchemy import func, select

from app.cycles.models import PhaseKind
from app.demo import load_demo
from app.schools import services
from app.schools.demo import SCHOOL, issue_demo_card
from app.schools.models import Pupil, School, SchoolClass


def test_demo_school_is_idempotent_and_complete(db, app):
    load_demo()
    load_demo()
    assert db.session.scalar(select(func.count()).select_from(School).where(School.name == SCHOOL)) == 1
    classes = {k.name: k for k in db.session.scalars(select(SchoolClass))}
    assert set(classes) == {"CM2 A", "CM1 B"}
    assert services.class_phase(classes["CM1 B"]) == PhaseKind.SUBMISSION
    ideas, notes = services.waiting(classes["CM1 B"])
    assert ideas and notes
    assert services.class_phase(classes["CM2 A"]) == PhaseKind.RESULTS
    run, rows = services.results(classes["CM2 A"].cycle)
    assert run is not None and any(row.selected for row in rows) and sum(row.votes for row in rows) > 0
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 18
    lessons = services.lesson_progress(classes["CM2 A"])["totals"]
    assert [row["done"] for row in lessons[:3]] == [8, 5, 2] and lessons[0]["score"] < lessons[0]["questions"]
    with app.test_request_context():
        class_code, card_code, _name = issue_demo_card()
        assert services.sign_in(class_code, card_code).school_class == classes["CM1 B"]
