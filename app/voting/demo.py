"""Demo data for voting, called by the lead's ``app.demo`` (idempotent)."""

from sqlalchemy import select

from app.cycles.models import Cycle
from app.extensions import db
from app.voting.models import BallotKind, BallotRules

DEMO_CYCLE = "budget-participatif-2026"
# Identifiers of the demo census (as printed on the city's letters); the demo cycle does not require the census.
DEMO_CENSUS = [("LIL-DEMO-0001", "wazemmes", 1984), ("LIL-DEMO-0002", "wazemmes", 1950),
               ("LIL-DEMO-0003", "fives", 2001), ("LIL-DEMO-0004", "vieux-lille", 2009),
               ("LIL-DEMO-0005", "lille-moulins", 1972)]
DEMO_STATION = ("Mairie de quartier de Wazemmes", "Place Nouvelle Aventure, Lille")


def load_voting_demo() -> BallotRules | None:
    """Lille's rules on the demo cycle open for voting: approval, 1 to 5 projects per envelope.

    Also a few residents on the census (``DEMO_CENSUS``) and a polling station. Does nothing when the cycle does not
    exist or already has rules. Flushes; the caller commits.
    """
    cycle = db.session.scalar(select(Cycle).where(Cycle.slug == DEMO_CYCLE))
    if cycle is None or db.session.scalar(select(BallotRules.id).where(BallotRules.cycle_id == cycle.id)):
        return None
    _census_demo(cycle)
    rules = BallotRules(cycle_id=cycle.id, kind=BallotKind.APPROVAL, min_choices=1, max_choices=5)
    db.session.add(rules)
    db.session.flush()
    return rules


def _census_demo(cycle: Cycle) -> None:
    from app.cycles.models import District
    from app.voting.census import identifier_hash
    from app.voting.models import CensusEntry, PollingStation

    districts = {d.slug: d.id for d in db.session.scalars(select(District))}
    for identifier, slug, year in DEMO_CENSUS:
        digest = identifier_hash(identifier)
        if slug in districts and not db.session.scalar(select(CensusEntry.id)
                                                       .where(CensusEntry.identifier_hash == digest)):
            db.session.add(CensusEntry(identifier_hash=digest, district_id=districts[slug], birth_year=year))
    name, address = DEMO_STATION
    if not db.session.scalar(select(PollingStation.id).where(PollingStation.cycle_id == cycle.id,
                                                             PollingStation.name == name)):
        db.session.add(PollingStation(cycle_id=cycle.id, name=name, address=address))
