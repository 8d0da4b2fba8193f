"""The election model: frozen dataclasses, integer money, exact ratios.

Money is an integer number of *units*. A pabulib file with decimal costs (``2320560.88``) is read with
``scale = 100`` (one unit = one cent); ``Election.scale`` says how many units make one currency unit, so that rules
that work "one currency unit at a time" (the add1 completion of MES) step by ``scale`` units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .groups import ApprovalGroups

VOTE_TYPES = ("approval", "choose-1", "cumulative", "ordinal", "grades")


class TallyError(ValueError):
    """An election or a rule request that cannot be tallied; ``code`` is a stable message id."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Project:
    id: str
    cost: int
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.cost, int) or self.cost < 0:
            raise TallyError("bad-cost", f"project {self.id!r}: cost must be a non-negative integer", project=self.id)


@dataclass(frozen=True)
class ApprovalBallot:
    """Approval of a set of projects (``choose-1`` is an approval ballot with one project)."""

    projects: frozenset[str]
    voter_id: str = ""

    def approved(self) -> frozenset[str]:
        return self.projects


@dataclass(frozen=True)
class CumulativeBallot:
    """Points given to projects: ``points`` is a tuple of ``(project_id, points)`` pairs."""

    points: tuple[tuple[str, int], ...]
    voter_id: str = ""

    def approved(self) -> frozenset[str]:
        return frozenset(p for p, n in self.points if n > 0)

    def scores(self, max_length: int | None = None) -> dict[str, int]:
        return dict(self.points)


@dataclass(frozen=True)
class OrdinalBallot:
    """A ranking, best first. For points, the i-th choice (from 0) gets ``max_length - i``."""

    ranking: tuple[str, ...]
    voter_id: str = ""

    def approved(self) -> frozenset[str]:
        return frozenset(self.ranking)

    def scores(self, max_length: int | None = None) -> dict[str, int]:
        top = max_length if max_length is not None else len(self.ranking)
        return {p: top - i for i, p in enumerate(self.ranking)}


@dataclass(frozen=True)
class GradeBallot:
    """Majority-judgment grades, ``(project_id, grade)`` pairs; a project left out gets the lowest grade, 0."""

    grades: tuple[tuple[str, int], ...]
    voter_id: str = ""

    def approved(self) -> frozenset[str]:
        return frozenset(p for p, g in self.grades if g > 0)

    def scores(self, max_length: int | None = None) -> dict[str, int]:
        return dict(self.grades)


Ballot = ApprovalBallot | CumulativeBallot | OrdinalBallot | GradeBallot


@dataclass(frozen=True)
class Election:
    projects: tuple[Project, ...]
    budget: int
    ballots: tuple[Ballot, ...]
    vote_type: str = "approval"
    scale: int = 1
    max_length: int | None = None
    meta: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "projects", tuple(self.projects))
        object.__setattr__(self, "ballots", tuple(self.ballots))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        if self.vote_type not in VOTE_TYPES:
            raise TallyError("bad-vote-type", f"unknown vote type {self.vote_type!r}", vote_type=self.vote_type)
        if not isinstance(self.budget, int) or self.budget < 0:
            raise TallyError("bad-budget", "the budget must be a non-negative integer")
        ids = [p.id for p in self.projects]
        if len(set(ids)) != len(ids):
            raise TallyError("duplicate-project", "two projects have the same id")
        known = set(ids)
        for ballot in self.ballots:
            unknown = ballot.approved() - known
            if isinstance(ballot, OrdinalBallot | CumulativeBallot | GradeBallot):
                unknown = unknown | (set(_ballot_ids(ballot)) - known)
            if unknown:
                raise TallyError("unknown-project", f"a ballot names unknown project {min(unknown)!r}",
                                 project=min(unknown))

    @cached_property
    def approval_groups(self) -> ApprovalGroups:
        """Voters grouped by identical approvals, built once and shared by the rules run on this election."""
        return ApprovalGroups.of(self)

    @property
    def project_map(self) -> dict[str, Project]:
        return {p.id: p for p in self.projects}

    def cost_of(self, ids: Iterable[str]) -> int:
        m = self.project_map
        return sum(m[i].cost for i in ids)

    def approval_counts(self) -> dict[str, int]:
        """Voters approving each project (every project named or given points counts as approved)."""
        groups = self.approval_groups
        return dict(zip(groups.ids, groups.support_totals, strict=True))

    def point_totals(self) -> dict[str, int]:
        """Total points (cumulative, ordinal with ``max_length - i``, grades); approval ballots count 1."""
        totals = dict.fromkeys((p.id for p in self.projects), 0)
        for ballot in self.ballots:
            if isinstance(ballot, ApprovalBallot):
                for p in ballot.projects:
                    totals[p] += 1
            else:
                for p, n in ballot.scores(self.max_length).items():
                    totals[p] += n
        return totals

    def in_units_of(self, scale: int) -> Election:
        """The same election with money counted in ``1/scale`` currency units (a multiple of ``self.scale``)."""
        if scale == self.scale:
            return self
        if scale <= 0 or scale % self.scale:
            raise TallyError("bad-scale", f"cannot count in 1/{scale} of a currency unit", scale=scale)
        k = scale // self.scale
        projects = tuple(Project(p.id, p.cost * k, p.name) for p in self.projects)
        return Election(projects, self.budget * k, self.ballots, self.vote_type, scale, self.max_length, self.meta)

    def with_cost(self, project_id: str, cost: int) -> Election:
        """The same election with one project's cost changed (used for "largest cost at which it is funded")."""
        projects = tuple(Project(p.id, cost, p.name) if p.id == project_id else p for p in self.projects)
        return Election(projects, self.budget, self.ballots, self.vote_type, self.scale, self.max_length, self.meta)


def _ballot_ids(ballot: Ballot) -> list[str]:
    if isinstance(ballot, OrdinalBallot):
        return list(ballot.ranking)
    if isinstance(ballot, CumulativeBallot):
        return [p for p, _ in ballot.points]
    if isinstance(ballot, GradeBallot):
        return [p for p, _ in ballot.grades]
    return list(ballot.projects)


@dataclass(frozen=True)
class ProjectResult:
    """Why one project was funded or not: ``kind`` names the explanation, ``data`` holds its numbers.

    Kinds and their data (money in units of the election, exact ``Fraction`` where not whole):
    - ``greedy-funded`` / ``greedy-skipped`` (``greedy``, ``greedy-per-cost``, ``greedy-points``, ``city``,
      ``majority-judgment`` and the completion step after MES): ``rank`` (1-based position in the order),
      ``score`` (votes, points or votes per unit), ``votes``, ``cost``, ``money_left`` (before its turn);
      ``greedy-below-threshold`` (``score``, ``threshold``), ``greedy-stopped`` (no-skip: came after the stop).
    - ``mes-funded``: ``round`` (1-based), ``cost``, ``price`` (what a supporter who could pay it in full paid),
      ``payments`` (``((price, voters),)``: the supporters who paid the price in full; empty when none did),
      ``paid_all_they_had`` (``{"voters": n, "total": amount}``: supporters who had less than the price and gave
      all they had), ``supporters``. The payments and that total add up to the cost.
    - ``mes-not-funded``: ``cost``, ``supporters``, ``supporters_money`` (what its supporters still had at the
      end), ``needed`` (= cost), ``max_cost`` (the largest cost at which it would have been funded, all else
      unchanged, or None when not computed; see :func:`app.tally.explain.max_funded_cost`).
    """

    project_id: str
    funded: bool
    kind: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    rule: str
    tie_breaking: str
    winners: tuple[str, ...]  # sorted by id (as strings)
    spent: int
    budget: int
    results: Mapping[str, ProjectResult]  # one per project of the election
    rounds: tuple[str, ...] = ()  # funded project ids in the order the rule took them
    info: Mapping[str, Any] = field(default_factory=dict)  # rule-level numbers (e.g. add1's final voter share)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (Fractions as "p/q" strings)."""
        return {
            "rule": self.rule,
            "tie_breaking": self.tie_breaking,
            "winners": list(self.winners),
            "spent": self.spent,
            "budget": self.budget,
            "order": list(self.rounds),
            "info": _jsonable(dict(self.info)),
            "projects": {
                pid: {"funded": r.funded, "kind": r.kind, **_jsonable(dict(r.data))} for pid, r in self.results.items()
            },
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
