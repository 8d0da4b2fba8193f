"""What phase a cycle is in, and what each phase allows. Pure functions: no database, no clock."""

from dataclasses import dataclass
from datetime import datetime

from app.core.clock import as_utc
from app.cycles.models import PhaseKind

# One table for the rules of the whole product: action -> phases in which it is open.
PHASE_ALLOWS: dict[str, frozenset[PhaseKind]] = {
    "submit_proposal": frozenset({PhaseKind.SUBMISSION}),
    "edit_proposal": frozenset({PhaseKind.SUBMISSION}),
    "withdraw_proposal": frozenset({PhaseKind.SUBMISSION}),
    "support": frozenset({PhaseKind.SUBMISSION}),
    "comment": frozenset({PhaseKind.SUBMISSION, PhaseKind.REVIEW, PhaseKind.VOTING}),
    "review": frozenset({PhaseKind.REVIEW}),
    "merge": frozenset({PhaseKind.SUBMISSION, PhaseKind.REVIEW}),
    "vote": frozenset({PhaseKind.VOTING}),
    "track": frozenset({PhaseKind.RESULTS, PhaseKind.IMPLEMENTATION, PhaseKind.CLOSED}),
}


@dataclass(frozen=True)
class PhaseWindow:
    kind: PhaseKind
    starts_at: datetime
    ends_at: datetime | None


def windows(phases) -> list[PhaseWindow]:
    """Plain, time-ordered copies of a cycle's phases (model rows or windows)."""
    items = [PhaseWindow(PhaseKind(p.kind), as_utc(p.starts_at), as_utc(p.ends_at) if p.ends_at else None)
             for p in phases]
    return sorted(items, key=lambda w: (w.starts_at, w.kind.order))


def current_phase(phases, now: datetime) -> PhaseKind | None:
    """The phase open at ``now``; None before the first phase starts or in a gap between two phases."""
    now = as_utc(now)
    current = None
    for window in windows(phases):
        if window.starts_at <= now and (window.ends_at is None or now < window.ends_at):
            current = window.kind
    return current


def next_phase(phases, now: datetime) -> PhaseWindow | None:
    now = as_utc(now)
    upcoming = [w for w in windows(phases) if w.starts_at > now]
    return upcoming[0] if upcoming else None


def allows(phase: PhaseKind | None, action: str) -> bool:
    return phase is not None and phase in PHASE_ALLOWS[action]


def timeline(phases, now: datetime) -> list[tuple[PhaseWindow, str]]:
    """Each phase with its state: "past", "current" or "future"."""
    now = as_utc(now)
    current = current_phase(phases, now)
    result = []
    for window in windows(phases):
        if window.kind == current:
            state = "current"
        elif window.ends_at is not None and window.ends_at <= now or window.starts_at <= now and window.ends_at is None:
            state = "past"
        else:
            state = "future"
        result.append((window, state))
    return result
