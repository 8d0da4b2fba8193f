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
    return response.status_code, found.group(1) if found else body[:500]


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
