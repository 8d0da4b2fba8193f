"""Server-side time of the proposal pages with 100 and with 100,000 proposals (issue 3's benchmark).

Fills two SQLite databases (or PostgreSQL with --database-url, schema reset) through the migrations: 20 districts,
10 categories, N proposals and on average 100 supports each, then times requests through Flask's test client
(the whole server side: routing, queries, templates) and counts SQL statements per page.

    .venv/bin/python benchmarks/proposals_listing.py            # 100 vs 100,000 (a few minutes, mostly filling)
    .venv/bin/python benchmarks/proposals_listing.py --large 20000 --supports 20   # a quicker look
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.core.clock import utcnow  # noqa: E402
from app.core.rendering import render_markdown  # noqa: E402
from app.cycles.models import Category, Cycle, District, Envelope, Phase, PhaseKind  # noqa: E402
from app.extensions import db  # noqa: E402
from app.proposals.models import Proposal, ProposalStatus, Support  # noqa: E402
from app.proposals.search import normalise  # noqa: E402

WORDS = [
    "vélo", "piste", "cyclable", "arbre", "jardin", "banc", "école", "parc", "éclairage", "fontaine",
    "terrain", "jeux", "bibliothèque", "trottoir", "place", "marché", "abri", "toilettes", "composteur",
    "fresque", "concert", "sport", "rue", "quartier", "enfants", "seniors",
]


# Everyday words, so that a search term matches a few percent of the proposals, as in a real city.
FILLER = [f"{a}{b}" for a in ("ver", "mai", "pon", "lu", "cha", "bo", "ri", "sa", "tan", "gre") for b in
          ("ton", "lier", "rade", "mine", "ceau", "tte", "nage", "tier", "lon", "ssee", "gue", "rin", "dot", "vin",
           "cor", "ple", "mure", "sol", "tise", "bane")]


class Config(TestConfig):
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False


def fill(app, proposals: int, supports: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    with app.app_context():
        districts = [District(slug=f"d{i}", name=f"Quartier {i}") for i in range(20)]
        categories = [Category(slug=f"c{i}", name_fr=f"Thème {i}") for i in range(10)]
        db.session.add_all(districts + categories)
        now = utcnow()
        cycle = Cycle(slug="bench", title_fr="Budget de test", total_budget_cents=10**12)
        start = now - timedelta(days=15)
        for kind in PhaseKind:
            cycle.phases.append(Phase(kind=kind, starts_at=start,
                                      ends_at=None if kind == PhaseKind.CLOSED else start + timedelta(days=30)))
            start += timedelta(days=30)
        cycle.envelopes.extend(Envelope(district=d, amount_cents=10**9) for d in districts)
        db.session.add(cycle)
        db.session.flush()
        user_count = max(200, supports * 2)
        db.session.execute(insert(User), [
            {"email": f"u{i}@bench.example", "password_hash": "x", "display_name": f"Habitant {i}",
             "role": Role.RESIDENT, "locale": "fr", "created_at": now, "session_token": f"{i:032d}"}
            for i in range(user_count)
        ])
        db.session.commit()
        district_ids = [d.id for d in districts]
        category_ids = [c.id for c in categories]
        first_user = db.session.scalar(text("SELECT min(id) FROM \"user\""))
        batch = []
        for i in range(proposals):
            title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {rng.choice(FILLER)} {i}"
            body = " ".join([rng.choice(WORDS) for _ in range(3)] + [rng.choice(FILLER) for _ in range(60)])
            count = min(user_count, max(0, int(rng.gauss(supports, supports / 3)))) if supports else 0
            batch.append({
                "cycle_id": cycle.id, "author_id": first_user + rng.randrange(user_count), "title": title,
                "body": body, "body_html": render_markdown(body), "category_id": rng.choice(category_ids),
                "district_id": rng.choice(district_ids), "address": "", "status": ProposalStatus.SUBMITTED,
                "created_at": now - timedelta(minutes=i), "updated_at": now, "submitted_at": now,
                "supports_count": count, "search_text": normalise(title, body), "channel": "web",
                "ballot_title": "", "ballot_summary": "", "public_reason": "", "staff_notes": "",
            })
            if len(batch) == 5000:
                db.session.execute(insert(Proposal), batch)
                batch.clear()
        if batch:
            db.session.execute(insert(Proposal), batch)
        db.session.commit()
        counts = dict(db.session.execute(text("SELECT id, supports_count FROM proposal ORDER BY id")).all())
        ids = list(counts)
        rows = []
        for proposal_id in ids:
            for user in rng.sample(range(user_count), counts[proposal_id]):
                rows.append({"proposal_id": proposal_id, "user_id": first_user + user, "created_at": now})
            if len(rows) >= 50_000:
                db.session.execute(insert(Support), rows)
                rows.clear()
        if rows:
            db.session.execute(insert(Support), rows)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return {"cycle": "bench", "district": district_ids[3], "category": category_ids[4],
                "proposal": ids[len(ids) // 2]}


def measure(app, keys: dict, repeat: int) -> dict:
    client = app.test_client()
    pages = {
        "listing, first page": "/proposals/?cycle=bench",
        "listing, filtered": f"/proposals/?cycle=bench&district={keys['district']}&category={keys['category']}",
        "listing, most supported": "/proposals/?cycle=bench&sort=supported",
        "listing, search": "/proposals/?cycle=bench&q=piste+cyclable",
        "proposal page": f"/proposals/{keys['proposal']}",
    }
    results = {}
    with app.app_context():
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for name, path in pages.items():
        for _warm in range(3):
            assert client.get(path).status_code == 200, path
        timings = []
        for _run in range(repeat):
            statements.clear()
            started = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        results[name] = (statistics.median(timings) * 1000, len(statements))
    return results


def run(label: str, proposals: int, supports: int, repeat: int, database_url: str | None) -> dict:
    folder = tempfile.mkdtemp(prefix="bench-")
    url = database_url or f"sqlite:///{folder}/bench.sqlite"
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={})
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.execute(text("DROP TABLE IF EXISTS proposal_fts"))
        db.session.commit()
        upgrade()
    started = time.perf_counter()
    try:
        keys = fill(app, proposals, supports)
        print(f"{label}: filled {proposals:,} proposals with ~{supports} supports each in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        return measure(app, keys, repeat)
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--supports", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    small = run("small", args.small, args.supports, args.repeat, args.database_url)
    large = run("large", args.large, args.supports, args.repeat, args.database_url)
    print()
    print(f"{'page':<26} {'ms at ' + format(args.small, ','):>12} {'ms at ' + format(args.large, ','):>14} "
          f"{'ratio':>6} {'queries':>8}  target: ratio <= 1.5, queries <= 15")
    worst = 0.0
    for name in small:
        (t_small, q_small), (t_large, q_large) = small[name], large[name]
        ratio = t_large / t_small
        worst = max(worst, ratio)
        print(f"{name:<26} {t_small:>12.2f} {t_large:>14.2f} {ratio:>6.2f} {max(q_small, q_large):>8}")
    print(f"\nworst ratio: {worst:.2f}")


if __name__ == "__main__":
    main()
