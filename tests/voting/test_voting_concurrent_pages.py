"""Twenty voters confirm their ballots at the same moment through the pages (the real views, each request with its
own session and connection) on a committed database: on SQLite a file in WAL mode with a busy timeout, where
casting begins with BEGIN IMMEDIATE (see ``app._sqlite_pragmas`` and ``app.core.transactions.begin_write``).
Nobody may see "database is locked" or any other error: every voter gets a receipt."""

import re
from types import SimpleNamespace

from sqlalchemy import text

from app.extensions import db
from tests.conftest import csrf_token, login, run_together
from tests.factories import make_user
from tests.voting.test_voting_race import committed_city, totals  # noqa: F401 (committed_city)

WRITERS = 20
ROUNDS = 3


def vote_through_the_pages(app, barrier, voter, slug: str, form: dict) -> tuple[int, str]:
    client = app.test_client()
    login(client, SimpleNamespace(get_id=lambda: voter.get_id))
    token = csrf_token(client, f"/vote/{slug}")  # the ballot page, as the voter's browser loads it
    barrier.wait()
    response = client.post(f"/vote/{slug}/confirm", data={"csrf_token": token, **form},
                           headers={"Accept-Language": "en"})
    body = response.get_data(as_text=True)
    found = re.search(r'class="receipt-code"><code>([0-9A-Z-]{19})</code>', body)
    main = body.partition("<main")[2] or body  # what the page says, without the header and its links
    return response.status_code, found.group(1) if found else " ".join(re.sub(r"<[^>]+>", " ", main).split())[:400]


def test_twenty_voters_confirming_at_once_all_get_a_receipt(race_app, committed_city):  # noqa: F811
    ids_, choices = committed_city
    with race_app.app_context():
        slug = db.session.execute(text("SELECT slug FROM cycle WHERE id = :id"), {"id": ids_["cycle"]}).scalar()
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    form = {"citywide": choices[None], f"district_{ids_['district']}": choices[ids_["district"]]}
    for round_number in range(1, ROUNDS + 1):
        with race_app.app_context():
            users = [make_user(district_id=ids_["district"]) for _ in range(WRITERS)]
            db.session.commit()
            voters = [SimpleNamespace(get_id=user.get_id()) for user in users]
        results = run_together(race_app, [(vote_through_the_pages, voter, slug, form) for voter in voters])
        assert [result for result in results if result[0] != 200] == []
        assert len({code for _status, code in results}) == WRITERS
        assert totals(race_app) == (WRITERS * round_number, 2 * WRITERS * round_number, 5 * WRITERS * round_number)


def test_one_voter_confirming_in_many_tabs_at_once_votes_once(race_app, committed_city):  # noqa: F811
    """Ten confirmations of one ballot at once (tabs, a double click, a script): one receipt; the others see the
    page saying they have voted (in French, the account's language), and nothing of theirs is written."""
    ids_, choices = committed_city
    with race_app.app_context():
        slug = db.session.execute(text("SELECT slug FROM cycle WHERE id = :id"), {"id": ids_["cycle"]}).scalar()
        voter = SimpleNamespace(get_id=make_user(district_id=ids_["district"]).get_id())
        db.session.commit()
    form = {"citywide": choices[None], f"district_{ids_['district']}": choices[ids_["district"]]}
    results = run_together(race_app, [(vote_through_the_pages, voter, slug, form)] * 10)
    assert sorted(status for status, _body in results) == [200] + [409] * 9, results
    assert all("Vous avez voté pour ce budget" in body for status, body in results if status == 409), results
    assert totals(race_app) == (1, 2, 5)


def test_a_vote_through_the_pages_and_a_census_binding_at_once_leave_one_key(race_app, committed_city):  # noqa: F811
    """The confirmation page locks the account as it loads the voter (PostgreSQL), before reading under which key
    to vote: a census binding of the same account at the same moment comes wholly before or after it."""
    from app.cycles.models import District
    from tests.voting.conftest import make_census_entry
    from tests.voting.test_voting_race import bind_attempt, recorded_keys

    ids_, choices = committed_city
    with race_app.app_context():
        slug = db.session.execute(text("SELECT slug FROM cycle WHERE id = :id"), {"id": ids_["cycle"]}).scalar()
    form = {"citywide": choices[None], f"district_{ids_['district']}": choices[ids_["district"]]}
    for round_number in range(8):
        with race_app.test_request_context():
            user = make_user(district_id=ids_["district"])
            make_census_entry(f"PAGES-{round_number}", db.session.get(District, ids_["district"]))
            db.session.commit()
            voter_id, voter = user.id, SimpleNamespace(get_id=user.get_id())
        vote, bind = run_together(race_app, [(vote_through_the_pages, voter, slug, form),
                                             (bind_attempt, voter_id, f"PAGES-{round_number}")])
        assert (vote[0], bind[0]) == (200, "bound"), (vote, bind)
        keys, census_key = recorded_keys(race_app, voter_id)
        assert keys == [census_key], keys
