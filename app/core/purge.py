"""Erasing personal data past its retention period, module by module.

Each module that keeps personal data registers one purger at import time (``register``); ``flask pb purge`` (and
any scheduled job) calls ``purge_all``, which runs them in registration order and reports what each erased. A purger
takes the current time, flushes what it erases and returns how many records it erased; the caller commits once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.core.clock import utcnow


@dataclass(frozen=True)
class Purger:
    name: str  # stable key, used by ``--only`` and in tests
    label: str  # what is erased, for the report (plain English, as the other CLI output)
    run: Callable[[datetime], int]


_PURGERS: dict[str, Purger] = {}


def register(name: str, label: str, run: Callable[[datetime], int]) -> None:
    """Add (or replace, when a module is reloaded) the purger called ``name``."""
    _PURGERS[name] = Purger(name, label, run)


def purgers() -> list[Purger]:
    return list(_PURGERS.values())


def purge_all(now: datetime | None = None,
              overrides: dict[str, Callable[[datetime], int]] | None = None) -> list[tuple[Purger, int]]:
    """Run every registered purger (``overrides`` replaces some by name, e.g. a retention given on the command line);
    returns each purger with how many records it erased. The caller commits."""
    now = now or utcnow()
    overrides = overrides or {}
    return [(purger, overrides.get(purger.name, purger.run)(now)) for purger in purgers()]
