"""Demo data for results, called by ``app.demo`` (idempotent): the finished 2025 budget gets its ballot, a few
thousand anonymous ballots cast online, by phone, on paper and with voting codes, and a published count whose
winners are exactly the projects the demo shows as funded."""

import random
from datetime import timedelta

from sqlalchemy import select

from app.core.clock import utcnow
from app.core.rendering import render_markdown
from app.cycles.models import Category, Cycle, District, PhaseKind
from app.extensions import db
from app.proposals.models import BallotItem, Proposal, ProposalStatus, StatusChange
from app.proposals.search import normalise
from app.results.ballots import insert_ballots
from app.results.services import publish, published_run, run_tally
from app.tracking.models import ProjectStatus, ProjectTracking
from app.voting.models import BallotKind, BallotRules

DEMO_CYCLE = "budget-participatif-2025"
RULE = "mes-cost+add1"
VOTERS = 3000
# A second project in Lille-Moulins, so that its envelope had a real choice: the shared planters won, the mural
# (cheaper, but wanted by few) did not fit beside them.
PLANTERS = ("Des jardinières partagées rue de Douai", "lille-moulins", "nature", 50.6188, 3.0722, "Rue de Douai",
            70_000, "Des jardinières cultivées par les voisins et l'école du quartier.")
# Per district of residence: how many of the 3,000 voters live there, and for each project of their district, the
# chance that they approve it (the rest leave their district ballot blank or choose another project).
RESIDENTS = {"wazemmes": 500, "fives": 400, "lille-sud": 350, "lille-moulins": 300, "lomme": 250}
CHANNELS = (("web", 70), ("paper", 15), ("phone", 8), ("code", 7))
# City-wide projects: the chance that a voter approves each (at most MAX_CHOICES per ballot, as the rules say).
CITY_APPROVAL = {"Des bancs au parc de la Citadelle": 0.7, "Des fontaines à eau dans les parcs": 0.6,
                 "Des arbres le long du boulevard de la Liberté": 0.55, "Une passerelle piétonne sur la Deûle": 0.35}
MAX_CHOICES = 3


def _planters(cycle: Cycle, official) -> None:
    title, district, category, lat, lng, address, cost, body = PLANTERS
    if db.session.scalar(select(Proposal.id).where(Proposal.cycle_id == cycle.id, Proposal.title == title)):
        return
    district_row = db.session.scalar(select(District).where(District.slug == district))
    created = utcnow() - timedelta(days=505)
    proposal = Proposal(cycle=cycle, title=title, body=body, body_html=render_markdown(body), district=district_row,
                        category=db.session.scalar(select(Category).where(Category.slug == category)),
                        latitude=lat, longitude=lng, address=address, status=ProposalStatus.SELECTED,
                        city_cost_cents=cost * 100, ballot_title=title, created_at=created, submitted_at=created,
                        search_text=normalise(title, body, address, district_row.name if district_row else ""))
    db.session.add(proposal)
    db.session.flush()
    for step in ("submitted", "feasible", "selected"):
        db.session.add(StatusChange(proposal=proposal, from_status="", to_status=ProposalStatus(step),
                                    created_at=created if step == "submitted" else utcnow() - timedelta(days=380),
                                    actor_id=getattr(official, "id", None)))
    db.session.add(ProjectTracking(proposal_id=proposal.id, status=ProjectStatus.PLANNED,
                                   planned_budget_cents=cost * 100))


def _ballot(cycle: Cycle) -> list[BallotItem]:
    """Every project that went to the 2025 vote (all of them but drafts and withdrawn ones), frozen as on the day."""
    items = list(db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)))
    if items:
        return items
    proposals = db.session.scalars(select(Proposal).where(
        Proposal.cycle_id == cycle.id, Proposal.city_cost_cents.is_not(None),
        Proposal.status.in_((ProposalStatus.SELECTED, ProposalStatus.NOT_SELECTED, ProposalStatus.IN_PROGRESS,
                             ProposalStatus.DONE))).order_by(Proposal.id)).all()
    for proposal in proposals:
        items.append(BallotItem(cycle_id=cycle.id, proposal_id=proposal.id, district_id=proposal.district_id,
                                title=proposal.display_title, summary=proposal.ballot_summary,
                                cost_cents=proposal.city_cost_cents))
    db.session.add_all(items)
    voting = next(p for p in cycle.phases if PhaseKind(p.kind) == PhaseKind.VOTING)
    cycle.ballot_frozen_at = voting.starts_at
    db.session.add(BallotRules(cycle_id=cycle.id, kind=BallotKind.APPROVAL, min_choices=0, max_choices=MAX_CHOICES,
                               counting_rule=RULE, frozen_at=voting.starts_at))
    db.session.flush()
    return items


def _voters(items: list[BallotItem], rng: random.Random):
    """Who voted and for what: every voter votes for the whole city, and in their district if it had projects."""
    districts = {d.id: d.slug for d in db.session.scalars(select(District))}
    by_slug: dict = {}
    for item in items:
        by_slug.setdefault(districts.get(item.district_id, "city"), []).append(item)
    approval = {"city": 0.55, "wazemmes": 0.7, "fives": 0.65, "lille-sud": 0.8, "lomme": 0.75}
    moulins = sorted(by_slug.get("lille-moulins", []), key=lambda i: -i.cost_cents)  # planters, then the mural
    channels = [name for name, weight in CHANNELS for _ in range(weight)]
    homes = [slug for slug, count in RESIDENTS.items() for _ in range(count)]
    homes += [None] * (VOTERS - len(homes))
    for home in homes:
        city = [(i.id, 1) for i in by_slug.get("city", [])
                if rng.random() < CITY_APPROVAL.get(i.title, approval["city"])]
        ballots = {None: sorted(rng.sample(city, MAX_CHOICES)) if len(city) > MAX_CHOICES else city}
        if home == "lille-moulins" and len(moulins) == 2:
            ballots[moulins[0].district_id] = [(moulins[rng.random() < 0.1].id, 1)]
        elif home in by_slug:
            ballots[by_slug[home][0].district_id] = [(i.id, 1) for i in by_slug[home] if rng.random() < approval[home]]
        yield rng.choice(channels), ballots


def load_results_demo() -> None:
    """Flushes; the caller commits. Does nothing when the 2025 cycle is missing or its results are published."""
    from app.accounts.models import Role, User

    cycle = db.session.scalar(select(Cycle).where(Cycle.slug == DEMO_CYCLE))
    if cycle is None or published_run(cycle) is not None:
        return
    official = db.session.scalar(select(User).where(User.role == Role.OFFICIAL).order_by(User.id))
    _planters(cycle, official)
    items = _ballot(cycle)
    voting = next(p for p in cycle.phases if PhaseKind(p.kind) == PhaseKind.VOTING)
    insert_ballots(cycle.id, _voters(items, random.Random(2025)), voting.starts_at.date() + timedelta(days=3),  # noqa: S311
                   "demo")
    publish(None, run_tally(None, cycle, RULE))
