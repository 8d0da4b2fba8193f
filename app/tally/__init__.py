"""Pure tallying for participatory budgeting (no Flask, no SQLAlchemy).

Build an election from in-memory ballots::

    from app.tally import ApprovalBallot, Election, Project, run
    election = Election(
        projects=(Project("1", 300), Project("2", 500)),      # id (str), cost in integer units (e.g. cents)
        budget=600,
        ballots=(ApprovalBallot(frozenset({"1", "2"})), ApprovalBallot(frozenset({"2"}))),
        vote_type="approval",     # or "choose-1", "cumulative" (CumulativeBallot(points=(("1", 2), ...))),
                                  # "ordinal" (OrdinalBallot(ranking=("2", "1"))), "grades" (GradeBallot)
        scale=100,                # units per currency unit (100 when costs are cents); add1 steps by it
    )
    outcome = run("mes-cost+add1", election)                 # tie_breaking="smallest-id" by default
    outcome.winners      # ("2",): sorted ids       outcome.spent  # 500     outcome.rounds: ids in funding order
    outcome.results["1"] # ProjectResult(project_id, funded, kind, data): why, as a kind and numbers
    outcome.as_json()    # JSON-ready dict (Fractions as "p/q" strings)

Rule names: ``rule_names()`` (``greedy``, ``greedy-per-cost``, ``greedy-points``, ``majority-judgment``,
``city``, ``mes``, ``mes-cost``, each MES with ``+greedy``, ``+add1``, ``+add1+greedy``, ``+add1-last``).
Explanation kinds and their numbers are listed on :class:`ProjectResult`; the largest cost at which a left-out
project would have been funded is :func:`max_funded_cost` (it re-runs the rule, so ask for it when needed).

pabulib files: ``pabulib.read(path).election`` and ``pabulib.write(election, meta={...}, selected=...)`` (text).
Errors are :class:`TallyError` with a stable ``code`` (e.g. ``cannot-reproduce`` for ``city`` on a file whose
META rule is unknown) and ``params`` for a translated message.
"""

from . import pabulib
from .model import (
    ApprovalBallot,
    Ballot,
    CumulativeBallot,
    Election,
    GradeBallot,
    OrdinalBallot,
    Outcome,
    Project,
    ProjectResult,
    TallyError,
)
from .rules import RULES, rule_names, run
from .tiebreak import DEFAULT, SMALLEST_ID, TIE_BREAKINGS, TieBreaking, by_priority

__all__ = [
    "DEFAULT",
    "RULES",
    "SMALLEST_ID",
    "TIE_BREAKINGS",
    "ApprovalBallot",
    "Ballot",
    "CumulativeBallot",
    "Election",
    "GradeBallot",
    "OrdinalBallot",
    "Outcome",
    "Project",
    "ProjectResult",
    "TallyError",
    "TieBreaking",
    "by_priority",
    "pabulib",
    "rule_names",
    "run",
]
