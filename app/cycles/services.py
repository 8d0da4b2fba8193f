"""Budget cycles: what phase they are in now, and what officials do with them."""

from sqlalchemy import select

from app.core.clock import utcnow
from app.cycles.models import Cycle, PhaseKind
from app.cycles.phases import allows, current_phase
from app.extensions import db


def phase_of(cycle: Cycle, now=None) -> PhaseKind | None:
    """The cycle's phase now (city time rules are in the dates; they are stored in UTC)."""
    return current_phase(cycle.phases, now or utcnow())


def cycle_allows(cycle: Cycle, action: str, now=None) -> bool:
    return allows(phase_of(cycle, now), action)


def open_cycles(now=None) -> list[Cycle]:
    """Cycles whose current phase is not closed (and that have started), newest first."""
    now = now or utcnow()
    cycles = db.session.scalars(select(Cycle).order_by(Cycle.created_at.desc())).all()
    return [c for c in cycles if phase_of(c, now) not in (None, PhaseKind.CLOSED)]
