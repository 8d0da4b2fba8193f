"""Where a request's transactions begin and end, for services that write under concurrency (votes, codes, calls).

SQLite lets one writer at a time hold the database. A transaction that reads and then writes can be refused at
once, without waiting, when another writer committed in between (SQLITE_BUSY_SNAPSHOT, reported as "database is
locked"). A writing service therefore starts its own transaction with BEGIN IMMEDIATE (``begin_write``): it takes
the write lock first and waits for it (busy timeout, see ``app._sqlite_pragmas``), then reads and writes. The view
ends the transaction it opened to read (``end_reads``) before calling such a service. PostgreSQL needs nothing of
the kind: concurrent writers wait for each other on the rows and unique indexes they touch.
"""

from app.extensions import db


def begin_write() -> None:
    """Start the session's next transaction with BEGIN IMMEDIATE on SQLite.

    Callers end their read transaction first (a view commits after loading what it needs; nothing is pending then).
    Inside a transaction already open (the tests' rolled-back session, a caller that has written) this does
    nothing: the transaction began before we could choose how.
    """
    if db.session().in_transaction() or db.engine.dialect.name != "sqlite":
        return
    db.session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})


def commit(keep_loaded: bool = False) -> None:
    """Commit. ``keep_loaded`` keeps the objects loaded so far (say the voter, the cycle with its phases and
    envelopes) instead of loading them again afterwards, for a request that read them a moment ago and whose
    service read again what must be current (or left it to a constraint)."""
    session = db.session()
    session.expire_on_commit = not keep_loaded
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def end_reads(keep_loaded: bool = False) -> None:
    """End the transaction this request opened to read, before calling a service that begins its own
    (``begin_write``). Nothing is pending at this point. ``keep_loaded``: see ``commit``."""
    commit(keep_loaded)


def write_from_here() -> None:
    """Make the rest of this request one write transaction, after it has read (nothing pending; the objects read
    stay loaded). SQLite: end the read transaction and begin the next with BEGIN IMMEDIATE, as ``end_reads`` then
    ``begin_write``. PostgreSQL: nothing, the transaction goes on (plain reads take no row locks; writers wait for
    each other on rows and unique indexes), which spares a commit and a connection checkout (with its ping)."""
    if db.engine.dialect.name == "sqlite":
        end_reads(keep_loaded=True)
        begin_write()
