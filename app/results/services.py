"""Counting a cycle's ballots with ``app.tally``, storing the run, publishing it, and what the results pages show.

How a run stays checkable by anyone:
- per envelope, the anonymous ballots become a pabulib file: one line per non-blank ballot, voters numbered 1..n in
  a fresh random order (nothing about the voter, the day or the receipt), projects named by their proposal number;
- the rule counts exactly that election, and the file is stored with the run and its SHA-256; once published it can
  be downloaded and re-counted with ``python -m app.tally FILE --rule RULE`` to the same winners.

Services take the acting user (None: the command line or the demo, acting as the system), flush, and leave the
commit to the caller.
"""

import hashlib
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import tally
from app.core import audit
from app.core.clock import as_utc, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.cycles.models import Cycle, PhaseKind
from app.extensions import db
from app.proposals.models import BallotItem, ProposalStatus
from app.proposals.services import change_status
from app.results.models import TallyEnvelope, TallyProject, TallyRun
from app.results.permissions import can
from app.results.rules import (
    PABULIB_RULES,
    TIE_BREAKING,
    VOTE_TYPES,
    comparison_rule,
    offered_rules,
)
from app.tally.explain import max_funded_cost
from app.voting.models import Ballot, BallotChoice, BallotKind, Participation
from app.voting.services import results_published, rules_for, voting_envelopes

CENTS = 100  # the tally counts in cents: ``Election.scale`` = 100 units per euro
SENTINEL_COST = 999_999_999  # pabulib's cost for a project excluded from selection


# --- When ------------------------------------------------------------------------------------------------------------

def voting_closed(cycle: Cycle, now=None) -> bool:
    """True once the voting phase has ended by the server's clock (or a later phase has started)."""
    now = as_utc(now or utcnow())
    for phase in cycle.phases:
        kind = PhaseKind(phase.kind)
        if kind == PhaseKind.VOTING and phase.ends_at is not None and as_utc(phase.ends_at) <= now:
            return True
        if kind.order > PhaseKind.VOTING.order and as_utc(phase.starts_at) <= now:
            return True
    return False


def is_public(run: TallyRun, now=None) -> bool:
    """Anyone may see a run's results once it is published and the cycle's results phase has started."""
    return run.published_at is not None and results_published(run.cycle, now)


def published_run(cycle: Cycle) -> TallyRun | None:
    return db.session.scalar(select(TallyRun).where(TallyRun.cycle_id == cycle.id, TallyRun.published_at.is_not(None)))


def public_run(cycle: Cycle) -> TallyRun | None:
    run = published_run(cycle)
    return run if run is not None and is_public(run) else None


def runs_of(cycle: Cycle) -> list[TallyRun]:
    return list(db.session.scalars(select(TallyRun).where(TallyRun.cycle_id == cycle.id)
                                   .order_by(TallyRun.id.desc())))


# --- From the database to elections ----------------------------------------------------------------------------------

@dataclass
class EnvelopeElection:
    """One envelope's ballots as the tally sees them, with what the results pages need beside."""

    key: int | None  # district id, None = city-wide
    budget_cents: int
    items: list[BallotItem]
    election: "tally.Election"
    ballots: int  # cast in the envelope, blank ones included
    blank: int
    meta: dict = field(default_factory=dict)

    def item_for(self, project_id: str) -> BallotItem:
        return self._by_project[project_id]

    def __post_init__(self):
        self._by_project = {str(item.proposal_id): item for item in self.items}
        self.items_by_id = {item.id: item for item in self.items}


def _tally_ballot(vote_type: str, choices: list[tuple[str, int]]):
    if vote_type == "approval":
        return tally.ApprovalBallot(frozenset(pid for pid, _value in choices))
    ordered = tuple(sorted(choices, key=lambda pair: (-pair[1], pair[0])))
    if vote_type == "cumulative":
        return tally.CumulativeBallot(tuple((pid, value) for pid, value in ordered if value > 0))
    return tally.GradeBallot(ordered)


def _is_blank(vote_type: str, choices: list[tuple[str, int]]) -> bool:
    if vote_type == "cumulative":
        return not any(value > 0 for _pid, value in choices)
    return not choices


def _meta(cycle: Cycle, label: str, district: bool, kind: BallotKind, rules, projects: int) -> dict:
    voting = next((p for p in cycle.phases if PhaseKind(p.kind) == PhaseKind.VOTING), None)
    meta = {
        "description": f"{cycle.title} – {label}",
        "country": current_app.config.get("CITY_COUNTRY", "France"),
        "unit": current_app.config["CITY_NAME"],
        "instance": cycle.slug,
        "currency": "EUR",
        "language": current_app.config["BABEL_DEFAULT_LOCALE"],
    }
    if district:
        meta["district"] = label
    if voting is not None:
        meta["date_begin"] = as_utc(voting.starts_at).strftime("%d.%m.%Y")
        meta["date_end"] = as_utc(voting.ends_at or voting.starts_at).strftime("%d.%m.%Y")
    if kind == BallotKind.APPROVAL and rules.max_choices:
        meta["max_length"] = str(min(rules.max_choices, projects))
    return meta


def _file_cost(cost_cents: int, budget_cents: int) -> int:
    """A project dearer than its whole envelope can never be funded; the ballot file gives it pabulib's sentinel
    cost (999 999 999), which says just that, and the page explains it with the real cost."""
    return SENTINEL_COST * CENTS if cost_cents > budget_cents else cost_cents


def envelope_elections(cycle: Cycle, rng: secrets.SystemRandom | None = None) -> list[EnvelopeElection]:
    """Every envelope of the cycle that has projects on the ballot, its ballots shuffled (``rng``: a fresh system
    random source unless given) so that a voter's number in the file says nothing about when they voted."""
    rng = rng or secrets.SystemRandom()
    rules = rules_for(cycle)
    kind = BallotKind(rules.kind)
    vote_type = VOTE_TYPES[kind]
    items = list(db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)
                                    .order_by(BallotItem.id)))
    by_envelope: dict = defaultdict(list)
    for item in items:
        by_envelope[item.district_id].append(item)
    project_of = {item.id: str(item.proposal_id) for item in items}
    ballots: dict = defaultdict(lambda: defaultdict(list))  # envelope -> ballot id -> [(project, value)]
    rows = db.session.execute(
        select(Ballot.id, Ballot.district_id, BallotChoice.ballot_item_id, BallotChoice.value)
        .outerjoin(BallotChoice, BallotChoice.ballot_id == Ballot.id).where(Ballot.cycle_id == cycle.id)
    )
    for ballot_id, district_id, item_id, value in rows:
        choices = ballots[district_id][ballot_id]
        if item_id is not None and item_id in project_of:
            choices.append((project_of[item_id], value))
    result = []
    for key, (label, budget_cents) in voting_envelopes(cycle).items():
        envelope_items = by_envelope.get(key)
        if not envelope_items:
            continue
        cast = list(ballots[key].values())
        counted = [choices for choices in cast if not _is_blank(vote_type, choices)]
        rng.shuffle(counted)
        election = tally.Election(
            projects=tuple(tally.Project(str(item.proposal_id), _file_cost(item.cost_cents, budget_cents), item.title)
                           for item in sorted(envelope_items, key=lambda i: str(i.proposal_id))),
            budget=budget_cents, ballots=tuple(_tally_ballot(vote_type, choices) for choices in counted),
            vote_type=vote_type, scale=CENTS,
        )
        meta = _meta(cycle, str(label), key is not None, kind, rules, len(envelope_items))
        if sum(p.cost for p in election.projects) <= budget_cents:
            meta["fully_funded"] = "1"  # pabulib's flag: the envelope can pay for every project
        result.append(EnvelopeElection(key=key, budget_cents=budget_cents, items=envelope_items, election=election,
                                       ballots=len(cast), blank=len(cast) - len(counted), meta=meta))
    return result


def _votes(election, vote_type: str) -> dict[str, int]:
    return election.point_totals() if vote_type == "cumulative" else election.approval_counts()


def _run_rule(rule: str, election):
    try:
        return tally.run(rule, election, tie_breaking=TIE_BREAKING)
    except tally.TallyError as error:
        raise ServiceError(_l("The tally could not be computed: %(reason)s", reason=str(error)))


def _jsonable(value):
    """Exact numbers as JSON: integers stay integers, fractions become "p/q" strings."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _details(result) -> dict:
    return {"kind": result.kind, **_jsonable(dict(result.data))}


def voters_by_channel(cycle: Cycle) -> dict[str, int]:
    rows = db.session.execute(select(Participation.channel, func.count()).where(Participation.cycle_id == cycle.id)
                              .group_by(Participation.channel))
    return {getattr(channel, "value", channel): count for channel, count in rows}


# --- Running and publishing ------------------------------------------------------------------------------------------

def _require(actor, action: str, message) -> None:
    if actor is not None and not can(actor, action):
        raise NotAllowed(message)


def run_tally(actor, cycle: Cycle, rule: str | None = None, explain_costs: bool = True,
              explain_seconds: float | None = None) -> TallyRun:
    """Count the cycle's ballots with ``rule`` (default: the rule its ballot rules announce) and store the run.

    Refused before voting has closed by the server's clock, and for a rule that does not suit the cycle's ballot.
    ``actor`` None is the system (command line, demo). ``explain_costs`` computes, for every project equal shares
    left out, the largest cost at which it would have been funded (a few dozen re-counts per project), for at most
    ``explain_seconds`` (None: all of them); those left are marked pending and :func:`explain_pending` computes them.
    """
    _require(actor, "tally.run", _l("Only an official can count the votes."))
    if not voting_closed(cycle):
        raise NotAllowed(_l("The votes can only be counted once voting has closed."))
    if cycle.ballot_frozen_at is None:
        raise ServiceError(_l("This budget has no frozen ballot: there is nothing to count."))
    rules = rules_for(cycle)
    kind = BallotKind(rules.kind)
    rule = rule or rules.counting_rule
    if rule not in offered_rules(kind):
        raise ServiceError(_l("This counting rule cannot be used with this kind of ballot."), field="rule")
    other = comparison_rule(rule, kind)
    envelopes = envelope_elections(cycle)
    if not envelopes:
        raise ServiceError(_l("This budget has no project on its ballot: there is nothing to count."))
    run = TallyRun(cycle_id=cycle.id, rule=rule, tie_breaking=TIE_BREAKING, comparison_rule=other,
                   ballot_kind=kind.value, voters_by_channel=voters_by_channel(cycle),
                   created_by_id=getattr(actor, "id", None))
    db.session.add(run)
    budget = _ExplainBudget(explain_seconds)
    for data in envelopes:
        run.envelopes.append(_count_envelope(data, rule, other, explain_costs, budget))
    db.session.flush()
    audit.record(actor, "results.tallied", cycle, rule=rule, run=run.id,
                 files={e.key: e.ballot_file_sha256 for e in run.envelopes})
    return run


def _count_envelope(data: EnvelopeElection, rule: str, other: str, explain_costs: bool,
                    budget: "_ExplainBudget") -> TallyEnvelope:
    election = data.election
    outcome = _run_rule(rule, election)
    compared = _run_rule(other, election) if other else None
    meta = {**data.meta, "rule": PABULIB_RULES.get(rule, "unknown"),
            "comment": f"#1: counted by Budget Commun with the rule {rule} of app.tally, ties to the smallest "
                       f"project id (as text) #2: open data under the {current_app.config['DATA_LICENCE']} "
                       f"({current_app.config['DATA_LICENCE_URL']})"}
    text = tally.pabulib.write(election, meta=meta, selected=outcome.winners)
    votes = _votes(election, election.vote_type)
    winners = set(outcome.winners)
    envelope = TallyEnvelope(district_id=data.key, budget_cents=data.budget_cents, ballots=data.ballots,
                             blank_ballots=data.blank, spent_cents=outcome.spent,
                             comparison_spent_cents=compared.spent if compared else None,
                             ballot_file=text, ballot_file_sha256=hashlib.sha256(text.encode()).hexdigest())
    order = sorted(election.projects, key=lambda p: (p.id not in winners, -votes[p.id], p.id))
    for position, project in enumerate(order, start=1):
        item = data.item_for(project.id)
        details = _details(outcome.results[project.id]) if project.id in outcome.results else {}
        if item.cost_cents > data.budget_cents:
            details = {"kind": "over-budget", "cost": item.cost_cents, "budget": data.budget_cents}
        if details.get("kind") == "mes-not-funded" and details.get("max_cost") is None and explain_costs:
            details[PENDING] = True
        if project.id in winners and outcome.rounds:
            details["order"] = list(outcome.rounds).index(project.id) + 1 if project.id in outcome.rounds else None
        envelope.projects.append(TallyProject(
            ballot_item_id=item.id, position=position, cost_cents=item.cost_cents, votes=votes[project.id],
            selected=project.id in winners,
            comparison_selected=(project.id in compared.winners) if compared else None, details=details,
        ))
    _explain(envelope.projects, election, rule, outcome, budget, lambda p: str(data.items_by_id[p.ballot_item_id]
                                                                                .proposal_id))
    return envelope


# --- The largest cost at which a project left out would have been funded ---------------------------------------------

PENDING = "max_cost_pending"  # in a project's details: its largest funded cost is still to compute


@dataclass
class _ExplainBudget:
    """How long explanations may take: until ``seconds`` from now (None: no limit), after at least ``minimum``."""

    seconds: float | None
    minimum: int = 0
    done: int = 0

    def __post_init__(self):
        self.deadline = None if self.seconds is None else time.monotonic() + self.seconds

    def spent(self) -> bool:
        return self.deadline is not None and self.done >= self.minimum and time.monotonic() >= self.deadline


def _explain(projects, election, rule: str, outcome, budget: _ExplainBudget, project_id) -> None:
    """Compute the pending largest costs of ``projects`` (the most voted first) while ``budget`` lasts."""
    for project in sorted(projects, key=lambda p: p.position):
        if not project.details.get(PENDING):
            continue
        if budget.spent():
            return
        found = max_funded_cost(rule, election, project_id(project), TIE_BREAKING, outcome=outcome)
        details = {k: v for k, v in project.details.items() if k != PENDING}
        details["max_cost"] = found.max_cost or 0  # None: not funded even at no cost
        details["max_cost_verified"] = found.verified
        project.details = details  # a new dict: the JSON column sees the change
        budget.done += 1


def pending_explanations(run: TallyRun) -> int:
    return sum(1 for envelope in run.envelopes for project in envelope.projects if project.details.get(PENDING))


def _counted_election(envelope: TallyEnvelope):
    """The election an envelope's count read: its published ballot file, money in cents."""
    return tally.pabulib.read(envelope.ballot_file).election.in_units_of(CENTS)


def explain_pending(actor, run: TallyRun, seconds: float | None = None) -> tuple[int, int]:
    """Compute the run's pending largest costs for about ``seconds`` (at least one; None: all) from the ballot files
    it counted; returns (computed now, still pending). The outcome does not change: only its explanations."""
    _require(actor, "tally.run", _l("Only an official can count the votes."))
    budget = _ExplainBudget(seconds, minimum=1)
    for envelope in run.envelopes:
        if budget.spent():
            break
        if not any(project.details.get(PENDING) for project in envelope.projects):
            continue
        election = _counted_election(envelope)
        outcome = _run_rule(run.rule, election)
        if set(outcome.winners) != {str(p.item.proposal_id) for p in envelope.projects if p.selected}:
            raise ServiceError(_l("The ballot file of this count no longer gives its results: it cannot be "
                                  "explained further."))
        _explain(envelope.projects, election, run.rule, outcome, budget, lambda p: str(p.item.proposal_id))
    db.session.flush()
    return budget.done, pending_explanations(run)


def publish(actor, run: TallyRun) -> None:
    """Publish ``run``: its projects become selected or not selected (history, followers, audit), the results page
    opens when the results phase starts. One published run per cycle; only a run of the announced rule."""
    _require(actor, "tally.publish", _l("Only an official can publish results."))
    if run.published_at is not None:
        raise ServiceError(_l("These results are already published."))
    if published_run(run.cycle) is not None:
        raise ServiceError(_l("Results are already published for this budget: they cannot be replaced."))
    if run.rule != rules_for(run.cycle).counting_rule:
        raise ServiceError(_l("Only a count made with the rule announced for this budget can be published."))
    run.published_at = utcnow()
    run.published_by_id = getattr(actor, "id", None)
    try:
        with db.session.begin_nested():
            db.session.flush()  # the partial unique index refuses a second published run, even a concurrent one
    except IntegrityError:
        raise ServiceError(_l("Results are already published for this budget: they cannot be replaced."))
    for envelope in run.envelopes:
        for project in envelope.projects:
            proposal = project.item.proposal
            if proposal.status == ProposalStatus.FEASIBLE:  # a project already under way keeps its status
                change_status(actor, proposal,
                              ProposalStatus.SELECTED if project.selected else ProposalStatus.NOT_SELECTED)
    audit.record(actor, "results.published", run.cycle, run=run.id, rule=run.rule)
    db.session.flush()


# --- Reading a run ---------------------------------------------------------------------------------------------------

def get_run(run_id: int) -> TallyRun | None:
    return db.session.get(TallyRun, run_id)


def envelope_of(run: TallyRun, key: str) -> TallyEnvelope | None:
    return next((e for e in run.envelopes if e.key == key), None)


def ordered_envelopes(run: TallyRun) -> list[TallyEnvelope]:
    """The city-wide envelope first, then districts by name."""
    return sorted(run.envelopes, key=lambda e: (e.district_id is not None, e.district.name if e.district else ""))


def turnout(run: TallyRun) -> dict:
    """Voters per channel (the participation register at the time of the count) and ballots per envelope."""
    channels = Counter(run.voters_by_channel or {})
    return {"voters": sum(channels.values()), "channels": sorted(channels.items(), key=lambda kv: -kv[1]),
            "envelopes": [(e, e.ballots) for e in ordered_envelopes(run)]}
