"""Per-process copies of rows that every voter's page reads and officials rarely change (a cycle with its dates,
the themes and photos of the ballot's projects), each kept at most ``max_age`` seconds.

Several processes serve the site (gunicorn workers): an edit made in another process reaches this one when its copy
is older than ``max_age``; an edit made in this one (a flush, or a bulk UPDATE or DELETE through a session, touching
one of the copied tables) drops every copy at once, and again when it commits (so that a copy read by another
thread before that commit is not kept). A copy is read-only and shared between threads: ORM objects are handed out
detached (``detached``), with what they need loaded, and used as they are (attaching them to a request's session
cost more than the rest of the lookup); never changed, never added to a session.
"""

from time import monotonic

from sqlalchemy import event
from sqlalchemy.orm import Session

_FORGET = "forget_process_copies"


class ProcessCopies:
    def __init__(self, models: tuple[type, ...]):
        self._models = models
        self._tables = frozenset(model.__table__.name for model in models)
        self._copies: dict = {}
        event.listen(Session, "before_flush", self._on_flush)
        event.listen(Session, "do_orm_execute", self._on_statement)
        event.listen(Session, "after_commit", self._on_commit)

    def get(self, key, max_age: float):
        """The copy under ``key`` if it was read less than ``max_age`` seconds ago, else None."""
        copy = self._copies.get(key)
        if copy is None or monotonic() - copy[0] >= max_age:
            return None
        return copy[1]

    def put(self, key, value, read_at: float) -> None:
        """Keep ``value`` (read from the database at ``read_at``, a ``now()`` taken before reading)."""
        if len(self._copies) >= 1024:  # far more than the ballots open at once: start again
            self._copies.clear()
        self._copies[key] = (read_at, value)

    def clear(self) -> None:
        self._copies.clear()

    def _touched(self, session) -> None:
        session.info.setdefault(_FORGET, set()).add(self)
        self.clear()

    def _on_flush(self, session, *_args) -> None:
        if any(isinstance(obj, self._models) for obj in (*session.new, *session.dirty, *session.deleted)):
            self._touched(session)

    def _on_statement(self, state) -> None:
        if (state.is_update or state.is_delete) and getattr(state.statement.table, "name", None) in self._tables:
            self._touched(state.session)

    def _on_commit(self, session) -> None:
        if self in session.info.get(_FORGET, ()):
            session.info[_FORGET].discard(self)
            self.clear()


def now() -> float:
    return monotonic()


def detached(obj):
    """A copy of ``obj`` and of what is loaded with it, belonging to no session (no query: ``load=False``)."""
    with Session() as scratch:
        copy = scratch.merge(obj, load=False)
        scratch.expunge_all()
    return copy

