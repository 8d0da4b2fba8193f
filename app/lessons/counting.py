"""The counting lesson: one set of ballots counted by "most votes first" and by equal shares, side by side.

The ballots are the class's own (its budget cycle, once its vote has closed: never while pupils are still voting)
or a sample class vote shipped with the lesson. The counting is ``app.tally``'s (the rules the city uses), the
ballots come from ``app.results.services.envelope_elections`` and a left-out idea's "it would have been chosen at
this cost" from ``app.tally.explain``. Pupils may leave ballots out and change the money, then count again: the
simulation is computed per request and writes nothing.
"""

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app import tally
from app.core.errors import ServiceError
from app.core.forms import AmountError, parse_euros
from app.core.i18n import number
from app.results.explain import money
from app.tally.explain import max_funded_cost

GREEDY = "greedy"
EQUAL_SHARES = "mes-cost"  # equal shares of the money, no completion: what is left stays in the pot, as children see
MAX_BUDGET_CENTS = 100_000_000  # a million euros: enough for any class or school
# Fewer ballots than this and a pupil could recognise a classmate's ballot: the lesson shows the sample vote instead.
MIN_CLASS_BALLOTS = 5
SAMPLE_FILE = Path(__file__).parent / "data" / "sample_election.json"
SAMPLE_NAMES = {
    "goals": _l("New football goals"),
    "pingpong": _l("A table-tennis table"),
    "books": _l("A reading corner with cushions"),
    "garden": _l("Vegetable garden boxes"),
    "birds": _l("Bird boxes"),
}


@dataclass(frozen=True)
class SourceBallot:
    number: int
    projects: frozenset[str]


@dataclass
class Source:
    """What the lesson counts: the projects with their names, the ballots, the money."""

    kind: str  # "class" or "sample"
    projects: tuple[tally.Project, ...]
    ballots: tuple[SourceBallot, ...]
    budget_cents: int

    def name(self, project_id: str) -> str:
        if self.kind == "sample":
            return str(SAMPLE_NAMES[project_id])
        return next(p.name for p in self.projects if p.id == project_id)


@dataclass
class Row:
    project_id: str
    name: str
    cost_cents: int
    votes: int
    funded: bool
    why: list[str]


@dataclass
class Count:
    rule: str
    rows: list[Row]
    spent_cents: int
    left_cents: int
    represented: int  # voters who got at least one idea they chose
    share_cents: int | None = None  # equal shares: each voter's share, rounded to the cent


@dataclass
class Simulation:
    source: Source
    budget_cents: int
    counted: frozenset[int]  # numbers of the ballots counted
    greedy: Count | None
    shares: Count | None
    error: str | None = None
    ballot_rows: list[tuple[SourceBallot, list[str]]] = field(default_factory=list)

    @property
    def voters(self) -> int:
        return len(self.counted)


# --- Where the ballots come from -------------------------------------------------------------------------------------

def sample_source() -> Source:
    data = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    projects = tuple(tally.Project(p["id"], p["cost_cents"], p["id"]) for p in data["projects"])
    ballots, n = [], 0
    for group in data["ballots"]:
        for _ in range(group["times"]):
            n += 1
            ballots.append(SourceBallot(n, frozenset(group["projects"])))
    return Source("sample", projects, tuple(ballots), data["budget_cents"])


def class_source(cycle) -> Source | None:
    """The class's ballots once its vote has closed, or None (no cycle, vote still open, too few ballots)."""
    from app.results.services import envelope_elections, voting_closed

    if cycle is None or not voting_closed(cycle):
        return None
    envelopes = envelope_elections(cycle)
    envelope = next((e for e in envelopes if e.key is None), envelopes[0] if envelopes else None)
    if envelope is None or len(envelope.election.ballots) < MIN_CLASS_BALLOTS:
        return None
    election = envelope.election
    names = {p.id: p.name for p in election.projects}
    # envelope_elections shuffles the ballots; the lesson numbers them in a fixed order that depends only on their
    # content (never on when they were cast), so that "leave out ballot 3" means the same ballot on every request.
    contents = sorted((ballot.approved() for ballot in election.ballots),
                      key=lambda chosen: sorted(names[p].lower() for p in chosen))
    projects = tuple(tally.Project(item.id, item.cost, item.name) for item in election.projects)
    return Source("class", projects, tuple(SourceBallot(i, c) for i, c in enumerate(contents, 1)),
                  envelope.budget_cents)


def source_for(pupil) -> Source:
    """The signed-in pupil's class ballots when it has some to show, else the sample vote."""
    cycle = getattr(getattr(pupil, "school_class", None), "cycle", None) if pupil is not None else None
    return class_source(cycle) or sample_source()


# --- Counting ------------------------------------------------------------------------------------------------------

def parse_budget(text: str | None, default_cents: int) -> int:
    """The money typed by a pupil, in cents; the default when left empty. Raises ServiceError."""
    try:
        cents = parse_euros(text or "", maximum_cents=MAX_BUDGET_CENTS)
    except AmountError as error:
        raise ServiceError(error.args[0], field="budget")
    if cents is None:
        return default_cents
    if cents == 0:
        raise ServiceError(_l("The money to share must be more than 0 euros."), field="budget")
    return cents


def parse_counted(values: list[str], source: Source) -> frozenset[int]:
    """The ballot numbers ticked in the form. Raises ServiceError for a number that is not a ballot."""
    numbers = {b.number for b in source.ballots}
    try:
        counted = frozenset(int(v) for v in values)
    except ValueError:
        raise ServiceError(_l("One of the ballots ticked does not exist. Reload the page and try again."),
                           field="ballot")
    if not counted <= numbers:
        raise ServiceError(_l("One of the ballots ticked does not exist. Reload the page and try again."),
                           field="ballot")
    return counted


def _why_greedy(data, votes: int) -> list[str]:
    """Why "most votes first" bought the idea or not (its cost and votes are shown beside)."""
    if not votes and data.get("kind") == "greedy-funded":
        return [gettext("Nobody chose it, but it still fitted in the money left at the end: this rule buys it "
                        "anyway.")]
    if not votes:
        return [gettext("Nobody chose it.")]
    values = {"rank": data.get("rank", 0), "left": money(data.get("money_left"))}
    if data.get("kind") == "greedy-funded":
        return [gettext("Number %(rank)s in the line. There was still %(left)s: we buy it.", **values)]
    return [gettext("Number %(rank)s in the line, but only %(left)s was left: not enough, we skip it.", **values)]


def _why_shares(data, votes: int, max_cost) -> list[str]:
    """Why equal shares bought the idea or not, with what each pupil paid."""
    if not votes:
        return [gettext("Nobody chose it, so nobody paid for it.")]
    if data.get("kind") == "mes-funded":
        paid = [ngettext("%(count)s pupil paid %(amount)s", "%(count)s pupils paid %(amount)s each", count,
                         count=number(count), amount=money(amount)) for amount, count in data.get("payments") or []]
        gave_all = data.get("paid_all_they_had") or {}
        if gave_all.get("voters"):
            paid.append(ngettext("%(count)s pupil gave all they had left", "%(count)s pupils gave all they had "
                                 "left", gave_all["voters"], count=number(gave_all["voters"])))
        return [gettext("Paid for together by the pupils who chose it, out of their shares: %(payments)s.",
                        payments="; ".join(paid))]
    result = [gettext("The pupils who chose it had only %(money)s left between them: not enough.",
                      money=money(data.get("supporters_money")))]
    if max_cost:
        result.append(gettext("This idea would have been bought if it had cost %(amount)s or less.",
                              amount=money(max_cost)))
    return result


def _represented(outcome: tally.Outcome, ballots: list[frozenset[str]]) -> int:
    winners = set(outcome.winners)
    return sum(1 for chosen in ballots if chosen & winners)


def _count(rule: str, source: Source, election: tally.Election, chosen: list[frozenset[str]]) -> Count:
    outcome = tally.run(rule, election)
    votes = election.approval_counts()
    rows = []
    for project in election.projects:
        result = outcome.results[project.id]
        data = dict(result.data)
        if rule == GREEDY:
            why = _why_greedy({"kind": result.kind, **data}, votes[project.id])
        else:
            max_cost = None
            if not result.funded and votes[project.id]:
                max_cost = max_funded_cost(rule, election, project.id).max_cost
            why = _why_shares({"kind": result.kind, **data}, votes[project.id], max_cost)
        rows.append(Row(project.id, source.name(project.id), project.cost, votes[project.id], result.funded, why))
    order = {pid: i for i, pid in enumerate(outcome.rounds)}
    ranks = {pid: r.data.get("rank", 0) for pid, r in outcome.results.items()}
    rows.sort(key=lambda r: (not r.funded, order.get(r.project_id, 0), ranks[r.project_id], -r.votes, r.name.lower()))
    share = round(Fraction(election.budget, len(chosen))) if rule != GREEDY and chosen else None
    return Count(rule, rows, outcome.spent, election.budget - outcome.spent, _represented(outcome, chosen), share)


def simulate(source: Source, budget_cents: int | None = None, counted: frozenset[int] | None = None) -> Simulation:
    """Count the ballots numbered ``counted`` (all by default) with ``budget_cents`` (the source's by default)."""
    budget = source.budget_cents if budget_cents is None else budget_cents
    counted = frozenset(b.number for b in source.ballots) if counted is None else counted
    chosen = [b.projects for b in source.ballots if b.number in counted]
    election = tally.Election(projects=source.projects, budget=budget,
                              ballots=tuple(tally.ApprovalBallot(c) for c in chosen), scale=100)
    rows = [(b, sorted((source.name(p) for p in b.projects), key=str.lower)) for b in source.ballots]
    greedy = _count(GREEDY, source, election, chosen) if chosen else None
    shares = _count(EQUAL_SHARES, source, election, chosen) if chosen else None
    return Simulation(source, budget, counted, greedy, shares, ballot_rows=rows)
