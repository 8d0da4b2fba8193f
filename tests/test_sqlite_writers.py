"""SQLite writers of several processes (gunicorn's workers) queue on a lock file beside the database, held from
BEGIN IMMEDIATE to the end of the transaction (``app._sqlite_begin``): another process waits for it instead of
polling SQLite's lock (which, under load, kept a few voters waiting for seconds)."""

import subprocess
import sys

import pytest
from sqlalchemy import text

from app.extensions import db

# Another process tries the lock file without waiting: exit status 0 if it got it, 1 if a writer holds it.
TRY_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
"""


def _other_process_gets_lock(path: str) -> bool:
    return subprocess.run([sys.executable, "-c", TRY_LOCK, path], check=False).returncode == 0  # noqa: S603


@pytest.fixture()
def database_file(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite" or not db.engine.url.database:
            pytest.skip("SQLite file databases only")
        yield f"{db.engine.url.database}-writers.lock"


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_write_transaction_holds_the_lock_file_until_it_ends(app, database_file, end):
    with db.engine.connect() as connection:
        connection = connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        transaction = connection.begin()
        connection.execute(text("SELECT 1"))
        assert not _other_process_gets_lock(database_file)
        getattr(transaction, end)()
    assert _other_process_gets_lock(database_file)


def test_a_read_transaction_leaves_the_lock_file_alone(app, database_file):
    with db.engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT 1"))
        assert _other_process_gets_lock(database_file)
