"""Time of census uploads of 200,000 residents (issue 5: "bulk writes, benchmark 200,000 rows").

Builds a fresh database through the migrations (SQLite in a temporary folder, or PostgreSQL with --database-url,
schema reset), 20 districts, then times ``import_census`` (reading, validating, hashing, writing, commit) for:
a first upload; the same file again (nothing changes); a file where 10% moved district, 5% are gone and 5% new.
Prints a table.

    .venv/bin/python benchmarks/census_import.py
    .venv/bin/python benchmarks/census_import.py --database-url postgresql+psycopg://postgres@127.0.0.1:55435/bench
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.cycles.models import District  # noqa: E402
from app.extensions import db  # noqa: E402
from app.voting import census  # noqa: E402
from app.voting.models import CensusEntry  # noqa: E402
from tests.factories import make_user  # noqa: E402


def reset(app) -> None:
    from app.proposals.search_ddl import drop_search

    with app.app_context():
        with db.engine.begin() as connection:
            drop_search(connection)
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade()


def csv_bytes(rows: list[tuple[str, str, int]]) -> bytes:
    lines = ["identifiant;quartier;année de naissance"] + [f"{i};{d};{y}" for i, d, y in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def timed(app, official_id: int, data: bytes):
    with app.test_request_context():
        from app.accounts.models import User

        official = db.session.get(User, official_id)
        db.session.commit()
        start = time.perf_counter()
        result = census.import_census(official, data, "bench.csv")
        db.session.commit()
        return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="census-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False)
    reset(app)
    rng = random.Random(5)
    with app.app_context():
        districts = [District(slug=f"quartier-{n}", name=f"Quartier {n}") for n in range(20)]
        db.session.add_all(districts)
        official_id = make_user(Role.OFFICIAL).id
        db.session.commit()
    names = [f"Quartier {n}" for n in range(20)]
    rows = [(f"LIL-{n:07d}", rng.choice(names), rng.randint(1925, 2012)) for n in range(args.rows)]
    first = csv_bytes(rows)
    changed = [(i, rng.choice(names) if rng.random() < 0.1 else d, y) for i, d, y in rows]
    changed = changed[args.rows // 20:] + [(f"NEW-{n:07d}", rng.choice(names), 1990) for n in range(args.rows // 20)]
    second = csv_bytes(changed)
    print(f"Census upload, {args.rows:,} rows, {url.split(':')[0]}")
    print(f"{'upload':<40} {'seconds':>8} {'rows/s':>10}  result")
    for label, data in (("first upload", first), ("same file again", first),
                        ("10% moved, 5% gone, 5% new", second)):
        seconds, result = timed(app, official_id, data)
        print(f"{label:<40} {seconds:8.2f} {args.rows / seconds:10,.0f}  added {result.added:,}, updated "
              f"{result.updated:,}, deactivated {result.deactivated:,}, unchanged {result.unchanged:,}")
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(CensusEntry))
        print(f"entries in the table: {total:,} (inactive kept)")
    print(f"file size: {len(first) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
