"""Loading a real election from a pabulib file as a finished cycle, so that its results page can be browsed.

The election becomes a cycle in its results phase with one city-wide envelope (the file's budget), one feasible
project per PROJECTS line (frozen on the ballot), and one participation and anonymous ballot per VOTES line (the
channel is "paper" where the file's ``voting_method`` says so, else "web"). Amounts keep their numbers: a budget of
21 064 PLN is shown as 21 064 €; the description says which currency the file used. Ordinal ballots become points
(the i-th choice of a ballot gets ``max_length - i``), as ``greedy-points`` counts them.
"""

import re
import unicodedata
from datetime import timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import tally
from app.core.clock import utcnow
from app.core.errors import ServiceError
from app.cycles.models import Cycle, Phase, PhaseKind
from app.extensions import db
from app.proposals.models import BallotItem, Proposal, ProposalStatus
from app.proposals.search import normalise
from app.results.ballots import insert_ballots
from app.results.rules import offered_rules
from app.voting.models import BallotKind, BallotRules

KINDS = {"approval": BallotKind.APPROVAL, "choose-1": BallotKind.APPROVAL, "cumulative": BallotKind.CUMULATIVE,
         "ordinal": BallotKind.CUMULATIVE, "grades": BallotKind.MAJORITY_JUDGMENT}
# Phase starts in days from now: voting ended a week ago, the results phase is open.
PHASE_DAYS = {PhaseKind.SUBMISSION: -120, PhaseKind.REVIEW: -90, PhaseKind.VOTING: -30, PhaseKind.RESULTS: -7,
              PhaseKind.IMPLEMENTATION: 60, PhaseKind.CLOSED: 400}


def slug_for(path: Path) -> str:
    text = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80] or "pabulib"


def counting_rule_for(meta_rule: str, kind: BallotKind) -> str:
    """The rule of ours that counts as the city did: equal shares with add1 for ``equalshares*``, else greedy."""
    if (meta_rule or "").startswith("equalshares"):
        return "mes-cost+add1"
    return offered_rules(kind)[0]


def _cents(units: int, scale: int) -> int:
    return units * 100 // scale


def _choices(ballot, item_of: dict, max_length: int | None) -> list[tuple[int, int]]:
    if isinstance(ballot, tally.ApprovalBallot):
        return [(item_of[pid], 1) for pid in sorted(ballot.projects)]
    return [(item_of[pid], value) for pid, value in sorted(ballot.scores(max_length).items()) if value >= 0]


def import_pabulib(path: Path, slug: str | None = None, rule: str | None = None) -> Cycle:
    """Create the cycle, its ballot and its ballots; flushes (the caller commits, then counts)."""
    try:
        parsed = tally.pabulib.read(Path(path), keep_votes=True)
    except (OSError, UnicodeDecodeError, tally.TallyError) as error:
        raise ServiceError(_l("This file cannot be read as a pabulib file: %(reason)s", reason=str(error)))
    election, meta = parsed.election, parsed.meta
    slug = slug or slug_for(Path(path))
    if db.session.scalar(select(Cycle.id).where(Cycle.slug == slug)) is not None:
        raise ServiceError(_l("A budget with the address “%(slug)s” already exists.", slug=slug))
    kind = KINDS[election.vote_type]
    rule = rule or counting_rule_for(meta.get("rule", ""), kind)
    if rule not in offered_rules(kind):
        raise ServiceError(_l("This counting rule cannot be used with this kind of ballot."))
    budget = _cents(election.budget, election.scale)
    place = " – ".join(part for part in (meta.get("unit"), meta.get("district") or meta.get("subunit"),
                                         meta.get("instance")) if part)
    description = (f"pabulib: {meta.get('description', '')} ({place}). {meta.get('currency', '')} "
                   f"{meta.get('acknowledgments', '')}").strip()
    cycle = Cycle(slug=slug, title_fr=(place or slug)[:200], title_en=(place or slug)[:200], description_fr=description,
                  description_en=description, total_budget_cents=budget, citywide_envelope_cents=budget)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    kinds = list(PhaseKind)
    for index, phase in enumerate(kinds):
        ends = None if phase == PhaseKind.CLOSED else now + timedelta(days=PHASE_DAYS[kinds[index + 1]])
        cycle.phases.append(Phase(kind=phase, starts_at=now + timedelta(days=PHASE_DAYS[phase]), ends_at=ends))
    db.session.add(cycle)
    db.session.flush()
    item_of = {}
    for project in election.projects:
        title = (project.name or project.id)[:150]
        cost = _cents(project.cost, election.scale)
        proposal = Proposal(cycle=cycle, title=title, ballot_title=title, body="", body_html="",
                            status=ProposalStatus.FEASIBLE, city_cost_cents=cost, submitted_at=now,
                            search_text=normalise(title))
        db.session.add(proposal)
        db.session.flush()
        item = BallotItem(cycle_id=cycle.id, proposal_id=proposal.id, title=title, cost_cents=cost)
        db.session.add(item)
        db.session.flush()
        item_of[project.id] = item.id
    cycle.ballot_frozen_at = now + timedelta(days=PHASE_DAYS[PhaseKind.VOTING])
    db.session.add(BallotRules(cycle_id=cycle.id, kind=kind, min_choices=0, max_choices=election.max_length,
                               counting_rule=rule, frozen_at=cycle.ballot_frozen_at))
    methods = [row.get("voting_method", "") for row in parsed.votes] or [""] * len(election.ballots)
    voters = (("paper" if method == "paper" else "web", {None: _choices(ballot, item_of, election.max_length)})
              for ballot, method in zip(election.ballots, methods, strict=False))
    insert_ballots(cycle.id, voters, cycle.ballot_frozen_at.date(), "pabulib")
    db.session.flush()
    return cycle
