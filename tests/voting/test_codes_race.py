"""Twenty simultaneous uses of one voting code, on a real committed database (SQLite file or PostgreSQL): each in
its own thread with its own app context, session and connection, released together by a barrier."""

from flask_babel import force_locale
from sqlalchemy import func, select

from app.accounts.models import Role
from app.extensions import db
from app.voting import codes
from app.voting.models import Ballot, Participation, VotingCode
from tests.conftest import committed, run_together
from tests.factories import make_user
from tests.voting.conftest import ids, make_voting_city

USES = 20
ROUNDS = 3


def use(app, barrier, token: str, choices: dict) -> tuple[str, str]:
    with app.app_context(), force_locale("en"):
        barrier.wait()
        return committed("cast", lambda: codes.cast_with_code(token, choices)[1])


def test_twenty_simultaneous_uses_of_one_code_make_exactly_one_ballot(race_app):  # noqa: F811
    with race_app.test_request_context(headers={"Accept-Language": "en"}):
        city = make_voting_city(rules=False)
        official = make_user(Role.OFFICIAL)
        _batch, generated = codes.generate_batch(official, city.cycle, city.district, "Course", ROUNDS)
        choices = {None: ids(city.city_items[:2]), city.district.id: ids(city.district_items[:1])}
        tokens = [codes.open_code(code).token for code in generated]
        db.session.commit()
    for round_number, token in enumerate(tokens, start=1):
        results = run_together(race_app, [(use, token, choices)] * USES)
        assert [r for r in results if r[0] == "error"] == []
        assert [kind for kind, _text in results].count("cast") == 1, results
        assert {text for kind, text in results if kind == "refused"} == {
            "This voting code has already been used: each code works only once."}
        with race_app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Participation)) == round_number
            assert db.session.scalar(select(func.count()).select_from(Ballot)) == 2 * round_number
            assert db.session.scalar(select(func.count(VotingCode.used_on))) == round_number
