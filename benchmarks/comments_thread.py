"""Server-side time and SQL statements of a proposal page whose thread has 50 and 5,000 comments (issue 4's benchmark).

Fills an SQLite database (or PostgreSQL with --database-url, schema reset) through the migrations: one cycle in its
submission phase, one proposal, N comments of which a fifth are top-level and the rest replies nested up to depth 3,
with useful marks, a few hidden and pending comments and one official answer; then times requests through Flask's
test client (routing, queries, templates: the whole server side) and counts SQL statements per page.

    .venv/bin/python benchmarks/comments_thread.py                     # 50 vs 5,000
    .venv/bin/python benchmarks/comments_thread.py --large 20000       # a heavier thread
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
from sqlalchemy import event, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.core.clock import utcnow  # noqa: E402
from app.core.rendering import render_markdown  # noqa: E402
from app.cycles.models import Cycle, Phase, PhaseKind  # noqa: E402
from app.deliberation.models import Comment, CommentUseful, Stance, Visibility  # noqa: E402
from app.extensions import db  # noqa: E402
from app.proposals.models import Proposal, ProposalStatus  # noqa: E402

WORDS = ["arbre", "banc", "vélo", "ombre", "école", "parc", "fontaine", "quartier", "enfants", "bruit", "coût",
         "entretien", "sécurité", "voisins", "été", "hiver", "place", "rue", "marché", "jardin"]
USERS = 300


class Config(TestConfig):
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False


def _body(rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 60)))
    return f"Je pense que **{rng.choice(WORDS)}** compte : {words}."


def fill(app, comments: int, seed: int = 11) -> dict:
    rng = random.Random(seed)
    with app.app_context():
        now = utcnow()
        cycle = Cycle(slug="bench", title_fr="Budget de test", total_budget_cents=10**12)
        start = now - timedelta(days=15)
        for kind in PhaseKind:
            cycle.phases.append(Phase(kind=kind, starts_at=start,
                                      ends_at=None if kind == PhaseKind.CLOSED else start + timedelta(days=30)))
            start += timedelta(days=30)
        db.session.add(cycle)
        db.session.execute(insert(User), [
            {"email": f"u{i}@bench.example", "password_hash": "x", "display_name": f"Habitant {i}",
             "role": Role.OFFICIAL if i == 0 else Role.RESIDENT, "locale": "fr", "created_at": now,
             "email_confirmed_at": now, "session_token": f"{i:032d}"}
            for i in range(USERS)
        ])
        db.session.flush()
        user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        proposal = Proposal(cycle=cycle, author_id=user_ids[1], title="Un jardin partagé", body="Une idée.",
                            body_html="<p>Une idée.</p>", status=ProposalStatus.SUBMITTED, submitted_at=now)
        db.session.add(proposal)
        db.session.commit()

        def row(author, depth, parent=None, root=None, **values):
            body = _body(rng)
            values.setdefault("visibility", Visibility.VISIBLE)
            return {"proposal_id": proposal.id, "author_id": author, "parent_id": parent, "root_id": root,
                    "depth": depth, "stance": rng.choice(list(Stance)), "body": body,
                    "body_html": render_markdown(body), "is_official": False, "moderation_reason": "",
                    "useful_count": 0, "created_at": now, "ip_hash": "", **values}

        roots = max(1, comments // 5)
        first = [row(user_ids[0], 0, is_official=True)]
        for i in range(roots - 1):
            visibility = Visibility.HIDDEN if i % 97 == 5 else Visibility.PENDING if i % 89 == 7 else None
            extra = {"visibility": visibility, "moderation_reason": "spam"} if visibility else {}
            first.append(row(rng.choice(user_ids), 0, **extra))
        db.session.execute(insert(Comment), first)
        db.session.commit()
        # Replies level by level: each picks a parent one level up (so depth <= 3); a third of them go flat at 3.
        level = [(cid, cid) for cid in db.session.scalars(select(Comment.id).where(Comment.depth == 0))]
        remaining = comments - roots
        for depth in (1, 2, 3):
            count = remaining // (4 - depth) if depth < 3 else remaining
            batch = []
            for _ in range(count):
                parent, root = rng.choice(level)
                batch.append(row(rng.choice(user_ids), depth, parent, root))
            if batch:
                db.session.execute(insert(Comment), batch)
            db.session.commit()
            remaining -= count
            level = [(cid, root) for cid, root in db.session.execute(
                select(Comment.id, Comment.root_id).where(Comment.depth == depth))]
        # Useful marks: about two per comment, the reader's own on a tenth of them.
        ids = list(db.session.scalars(select(Comment.id)))
        reader = user_ids[2]
        marks = {(cid, uid) for cid in ids for uid in rng.sample(user_ids[3:], rng.randint(0, 4))}
        marks |= {(cid, reader) for cid in rng.sample(ids, len(ids) // 10)}
        db.session.execute(insert(CommentUseful), [{"comment_id": c, "user_id": u, "created_at": now}
                                                   for c, u in marks])
        db.session.execute(text("UPDATE comment SET useful_count = (SELECT count(*) FROM comment_useful "
                                "WHERE comment_useful.comment_id = comment.id)"))
        db.session.execute(text("UPDATE proposal SET comments_count = (SELECT count(*) FROM comment WHERE "
                                "visibility = 'visible' AND deleted_at IS NULL)"))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        reader_token = db.session.get(User, reader).get_id()
        return {"proposal": proposal.id, "reader": reader_token,
                "total": db.session.scalar(select(db.func.count()).select_from(Comment))}


def measure(app, keys: dict, repeat: int) -> dict:
    anonymous = app.test_client()
    signed_in = app.test_client()
    with signed_in.session_transaction() as session:
        session["_user_id"] = keys["reader"]
        session["_fresh"] = True
    path = f"/proposals/{keys['proposal']}"
    pages = {
        "proposal page, anonymous": (anonymous, path),
        "proposal page, signed in": (signed_in, path),
        "most useful first": (signed_in, path + "?sort=useful"),
        "filtered: against": (signed_in, path + "?stance=against&sort=newest"),
        "last page": (signed_in, path + "?page=99999"),
    }
    with app.app_context():
        engine = db.engine
    statements: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        context._bench_started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append(time.perf_counter() - context._bench_started)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    results = {}
    for name, (client, url) in pages.items():
        for _warm in range(3):
            assert client.get(url).status_code == 200, url
        timings, sql = [], []
        for _run in range(repeat):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            sql.append(sum(statements))
            assert response.status_code == 200
        shown = response.get_data(as_text=True).count('<li class="comment')
        results[name] = (statistics.median(timings) * 1000, statistics.median(sql) * 1000, len(statements), shown)
    return results


def run(label: str, comments: int, repeat: int, database_url: str | None) -> dict:
    folder = tempfile.mkdtemp(prefix="bench-")
    url = database_url or f"sqlite:///{folder}/bench.sqlite"
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={})
    with app.app_context():
        from app.proposals.search_ddl import drop_search

        with db.engine.begin() as connection:
            drop_search(connection)
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade()
    started = time.perf_counter()
    try:
        keys = fill(app, comments)
        print(f"{label}: filled {keys['total']:,} comments in {time.perf_counter() - started:.0f} s", flush=True)
        return measure(app, keys, repeat)
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    small = run("small", args.small, args.repeat, args.database_url)
    large = run("large", args.large, args.repeat, args.database_url)
    print()
    header = "".join(f"{label:>11}" for label in ("ms", "SQL ms", "queries", "shown"))
    print(f"{'':<26} {format(args.small, ',') + ' comments':^44} {format(args.large, ',') + ' comments':^44}")
    print(f"{'page':<26} {header} {header}")
    for name in small:
        cells = [f"{value:>11.1f}" if isinstance(value, float) else f"{value:>11}" for value in small[name]]
        cells += [f"{value:>11.1f}" if isinstance(value, float) else f"{value:>11}" for value in large[name]]
        print(f"{name:<26} {''.join(cells[:4])} {''.join(cells[4:])}")
    print("\nms: server-side page time (median); SQL ms: time spent in the database; shown: comments on the page "
          "(20 top-level comments with up to 50 replies each).")


if __name__ == "__main__":
    main()
