"""Twenty simultaneous uses of one voting code, on a real committed database (SQLite file or PostgreSQL): each in
its own thread with its own app context, session and connection, released together by a barrier."""

import threading
from concurrent.futures import ThreadPoolExecutor

from flask_babel import force_locale
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.errors import ServiceError
from app.extensions import db
from app.voting import codes
from app.voting.models import Ballot, Participation, VotingCode
from tests.factories import make_user
from tests.voting.conftest import ids, make_voting_city
from tests.voting.test_voting_race import race_app  # noqa: F401 (the fixture: a second app, one connection per thread)

USES = 20
ROUNDS = 3


def use(app, barrier, token: str, choices: dict) -> tuple[str, str]:
    with app.app_context(), force_locale("en"):
        barrier.wait()
        try:
            _cycle, receipt = codes.cast_with_code(token, choices)
            db.session.commit()
            return "cast", receipt
        except ServiceError as error:
            db.session.rollback()
            return "refused", str(error.message)
        except Exception as error:  # "database is locked" or anything else is what the test looks for
            db.session.rollback()
            return "error", repr(error)
        finally:
            db.session.remove()


def test_twenty_simultaneous_uses_of_one_code_make_exactly_one_ballot(race_app):  # noqa: F811
    with race_app.test_request_context(headers={"Accept-Language": "en"}):
        city = make_voting_city(rules=False)
        official = make_user(Role.OFFICIAL)
        _batch, generated = codes.generate_batch(official, city.cycle, city.district, "Course", ROUNDS)
        choices = {None: ids(city.city_items[:2]), city.district.id: ids(city.district_items[:1])}
        tokens = [codes.open_code(code).token for code in generated]
        db.session.commit()
    for round_number, token in enumerate(tokens, start=1):
        barrier = threading.Barrier(USES, timeout=60)
        with ThreadPoolExecutor(max_workers=USES) as pool:
            results = [f.result(timeout=120) for f in [pool.submit(use, race_app, barrier, token, choices)
                                                         for _ in range(USES)]]
        assert [r for r in results if r[0] == "error"] == []
        assert [kind for kind, _text in results].count("cast") == 1, results
        assert {text for kind, text in results if kind == "refused"} == {
            "This voting code has already been used: each code works only once."}
        with race_app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Participation)) == round_number
            assert db.session.scalar(select(func.count()).select_from(Ballot)) == 2 * round_number
            assert db.session.scalar(select(func.count(VotingCode.used_on))) == round_number
