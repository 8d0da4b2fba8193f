"""Tie-breaking: an explicit, named order of the projects; the first in that order wins a tie."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .model import TallyError


@dataclass(frozen=True)
class TieBreaking:
    name: str
    key: Callable[[str], object]

    def ranks(self, project_ids: Iterable[str]) -> dict[str, int]:
        """Position of each project in the tie-breaking order (0 wins every tie)."""
        return {pid: i for i, pid in enumerate(sorted(project_ids, key=self.key))}


SMALLEST_ID = TieBreaking("smallest-id", lambda pid: pid)
LARGEST_ID = TieBreaking("largest-id", lambda pid: tuple(-ord(c) for c in pid) + (1,))

TIE_BREAKINGS = {t.name: t for t in (SMALLEST_ID, LARGEST_ID)}
DEFAULT = SMALLEST_ID


def resolve(tie_breaking: str | TieBreaking | None) -> TieBreaking:
    if tie_breaking is None:
        return DEFAULT
    if isinstance(tie_breaking, TieBreaking):
        return tie_breaking
    try:
        return TIE_BREAKINGS[tie_breaking]
    except KeyError:
        raise TallyError("unknown-tie-breaking", f"unknown tie-breaking {tie_breaking!r}", name=tie_breaking)


def by_priority(order: Iterable[str], name: str = "custom") -> TieBreaking:
    """Ties go to the project that comes first in ``order`` (e.g. a public lottery drawn beforehand)."""
    position = {pid: i for i, pid in enumerate(order)}
    return TieBreaking(name, lambda pid: (position.get(pid, len(position)), pid))
