"""Demo data for voting, called by the lead's ``app.demo`` (idempotent)."""

from sqlalchemy import select

from app.cycles.models import Cycle
from app.extensions import db
from app.voting.models import BallotKind, BallotRules

DEMO_CYCLE = "budget-participatif-2026"


def load_voting_demo() -> BallotRules | None:
    """Lille's rules on the demo cycle open for voting: approval, 1 to 5 projects per envelope.

    Does nothing when the cycle does not exist or already has rules. Flushes; the caller commits.
    """
    cycle = db.session.scalar(select(Cycle).where(Cycle.slug == DEMO_CYCLE))
    if cycle is None or db.session.scalar(select(BallotRules.id).where(BallotRules.cycle_id == cycle.id)):
        return None
    rules = BallotRules(cycle_id=cycle.id, kind=BallotKind.APPROVAL, min_choices=1, max_choices=5)
    db.session.add(rules)
    db.session.flush()
    return rules
