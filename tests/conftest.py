"""Fixtures: one migrated database per run, every test inside a transaction rolled back at its end."""

import contextvars
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import delete, text
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.accounts.models import Role
from app.config import TestConfig, normalise_database_url
from app.core.errors import ServiceError
from app.core.models import OutboxMessage
from app.extensions import db as _db
from app.extensions import limiter
from tests.factories import make_user


def database_url(tmp_path_factory) -> str:
    if os.environ.get("DATABASE_URL"):
        return normalise_database_url(os.environ["DATABASE_URL"])
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def reset_schema(app) -> None:
    """Drop whatever a previous run left, then build the schema from the migrations."""
    from app.proposals.search_ddl import drop_search

    with app.app_context():
        with _db.engine.begin() as connection:
            drop_search(connection)
        _db.drop_all()
        _db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        _db.session.commit()
        upgrade()


class FreshContextClient(FlaskClient):
    """Each request runs in its own context, as in production: its own app context, ``g`` and DB session,
    even though the test itself holds an app context open."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url(tmp_path_factory))
    app.test_client_class = FreshContextClient
    reset_schema(app)
    return app


@pytest.fixture
def db(app):
    """A database session bound to one connection whose outer transaction is rolled back after the test.

    Commits made by the code under test (views, services) release savepoints, never the outer transaction.
    """
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        _db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id
        )
        limiter.reset()
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app, db):
    return app.test_client()


# --- Races on a real, committed database ------------------------------------------------------------------------------
# The rolled-back ``db`` fixture cannot be used for races: its single connection would serialise everything.

RACE_THREADS = 50  # the most threads a race test releases at once


def _wipe(app) -> None:
    with app.app_context():
        for table in reversed(_db.metadata.sorted_tables):
            _db.session.execute(delete(table))
        _db.session.commit()


@pytest.fixture
def race_app(app):
    """A second app on the test database (the SQLite file of the run, or PostgreSQL with DATABASE_URL) whose pool
    has one connection per thread, emptied before and after the test: what it writes is committed."""
    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       SQLALCHEMY_ENGINE_OPTIONS={"pool_size": RACE_THREADS + 5, "max_overflow": 0,
                                                  "pool_timeout": 60})
    _wipe(other)
    yield other
    _wipe(other)
    with other.app_context():
        _db.engine.dispose()


def committed(done: str, action) -> tuple[str, str]:
    """Inside a job of ``run_together``: call ``action`` (a service) and commit. Returns ``(done, what it returned)``,
    ``("refused", message)`` for a ServiceError, ``("error", repr)`` for anything else ("database is locked"...:
    what a race test looks for). Rolls back on failure and removes the session in every case."""
    try:
        value = action()
        _db.session.commit()
        return done, value
    except ServiceError as error:
        _db.session.rollback()
        return "refused", str(error.message)
    except Exception as error:  # noqa: BLE001 (reported, not raised: the test asserts there is none)
        _db.session.rollback()
        return "error", repr(error)
    finally:
        _db.session.remove()


def run_together(app, jobs: list[tuple]) -> list:
    """Run each job, ``(function, *args)``, as ``function(app, barrier, *args)`` in a thread of its own, and return
    their results in order. Each function does its set-up (its own app context, session and connection, as a
    request has), then waits on ``barrier``, which releases them all at once."""
    barrier = threading.Barrier(len(jobs), timeout=60)
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(function, app, barrier, *args) for function, *args in jobs]
        return [future.result(timeout=120) for future in futures]


def login(client, user) -> None:
    """Sign a test client in as ``user`` without going through the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def login_as(client, db):
    """``login_as(Role.OFFICIAL)`` creates a confirmed user with that role and signs the client in."""

    def _login(role: Role = Role.RESIDENT, **values):
        user = make_user(role, **values)
        db.session.commit()
        login(client, user)
        return user

    return _login


@pytest.fixture(params=list(Role), ids=[r.value for r in Role])
def any_role(request):
    return request.param


def csrf_token(client, path: str) -> str:
    """Load a page and return the CSRF token of its first form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def outbox_to(address: str) -> list[OutboxMessage]:
    from sqlalchemy import select

    return list(
        _db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address).order_by(OutboxMessage.id))
    )


def link_in(message: OutboxMessage, path_prefix: str) -> str:
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", message.body)
    assert match, f"no link to {path_prefix} in: {message.body}"
    return match.group(1)
