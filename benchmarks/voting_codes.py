"""Voting codes: time to generate batches (up to the 5,000 limit), to serve the printable sheet of a full batch,
to check typed codes, and to vote with codes one after the other. Prints a table.

Builds a fresh database through the migrations (SQLite in a temporary folder, or PostgreSQL with --database-url,
schema reset) and a cycle open for voting.

    .venv/bin/python benchmarks/voting_codes.py
    .venv/bin/python benchmarks/voting_codes.py --database-url postgresql+psycopg://postgres@127.0.0.1:55438/bench
"""

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from census_import import reset  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.cycles.models import Cycle, District  # noqa: E402
from app.extensions import db  # noqa: E402
from app.voting import codes  # noqa: E402
from tests.conftest import login  # noqa: E402
from tests.factories import make_user  # noqa: E402
from tests.voting.conftest import ids, make_voting_city  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--votes", type=int, default=200)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="codes-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False)
    reset(app)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        city = make_voting_city()
        official = make_user(Role.OFFICIAL)
        ids_ = {"cycle": city.cycle.id, "district": city.district.id, "official": official.id, "slug": city.slug}
        choices = {None: ids(city.city_items[:2]), city.district.id: ids(city.district_items[:1])}
        db.session.commit()
    rows = []

    def generate(count: int, label: str) -> list[str]:
        with app.test_request_context(headers={"Accept-Language": "en"}):
            cycle = db.session.get(Cycle, ids_["cycle"])
            user = db.session.get(User, ids_["official"])
            district = db.session.get(District, ids_["district"])
            db.session.commit()
            start = time.perf_counter()
            _batch, generated = codes.generate_batch(user, cycle, district, label, count)
            db.session.commit()
            rows.append((f"generate a batch of {count:,} (service + commit)", time.perf_counter() - start, count))
            return generated

    for count in (100, 1000, 5000):
        generated = generate(count, f"Batch {count}")

    client = app.test_client()
    with app.app_context():
        login(client, db.session.get(User, ids_["official"]))
    start = time.perf_counter()
    response = client.post(f"/vote/{ids_['slug']}/codes", data={
        "form_key": "benchmark-key-0123456789", "district": ids_["district"], "label": "Sheet", "count": 5000})
    seconds = time.perf_counter() - start
    html = response.get_data()
    assert response.status_code == 200 and len(re.findall(rb"class=\"code-card\"", html)) == 5000, response.status
    rows.append(("generate 5,000 and serve the sheet (HTTP)", seconds, 5000))

    with app.test_request_context(headers={"Accept-Language": "en"}):
        start = time.perf_counter()
        tokens = [codes.open_code(code).token for code in generated[:1000]]
        rows.append(("check a typed code (lookup by HMAC)", time.perf_counter() - start, len(tokens)))
        db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        start = time.perf_counter()
        for token in tokens[:args.votes]:
            codes.cast_with_code(token, choices)
            db.session.commit()
        rows.append(("vote with a code (consume + cast + commit)", time.perf_counter() - start, args.votes))

    print(f"Voting codes, {url.split(':')[0]}")
    print(f"{'operation':<46} {'seconds':>8} {'items':>7} {'per second':>11}")
    for label, seconds, items in rows:
        print(f"{label:<46} {seconds:8.3f} {items:7,} {items / seconds:11,.0f}")
    print(f"sheet of 5,000 codes: {len(html) / 1e6:.1f} MB of HTML")


if __name__ == "__main__":
    main()
