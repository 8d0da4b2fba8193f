"""The counting rules a cycle can announce, by kind of ballot, with their names for residents.

The rules themselves live in ``app.tally`` (pure, picked by name); this table says which of them make sense for each
kind of ballot of ours, which one is shown beside it for comparison ("what greedy would have chosen" when the cycle
counts with equal shares, and the reverse) and how each is written in the pabulib file's META ``rule``.
"""

from flask_babel import lazy_gettext as _l

from app.voting.models import BallotKind

RULE_LABELS = {
    "greedy": _l("Most votes first (greedy): projects by number of votes, as long as they fit in the envelope"),
    "greedy-per-cost": _l("Most votes per euro first: projects by votes per euro, as long as they fit"),
    "greedy-points": _l("Most points first: projects by total points, as long as they fit in the envelope"),
    "mes-cost+add1": _l("Method of Equal Shares (as Aarau and Assen use it): every voter gets an equal share of "
                        "the envelope"),
    "mes-cost+add1+greedy": _l("Method of Equal Shares, then the money left goes to the most voted projects that "
                               "still fit"),
    "mes+add1": _l("Method of Equal Shares with one vote per project (each supporter counts once)"),
    "mes": _l("Method of Equal Shares, without completion (money may be left over)"),
    "mes-cost": _l("Method of Equal Shares with cost utilities, without completion"),
    "majority-judgment": _l("Majority judgment: projects by their median grade, as long as they fit"),
}

# Rules officials can announce, per kind of ballot (the first is the default).
OFFERED = {
    BallotKind.APPROVAL: ("greedy", "mes-cost+add1", "mes-cost+add1+greedy", "mes+add1", "greedy-per-cost", "mes"),
    BallotKind.KNAPSACK: ("greedy", "mes-cost+add1", "mes-cost+add1+greedy", "mes+add1", "greedy-per-cost", "mes"),
    BallotKind.CUMULATIVE: ("greedy-points", "mes-cost+add1", "mes-cost+add1+greedy", "greedy"),
    BallotKind.MAJORITY_JUDGMENT: ("majority-judgment", "mes-cost+add1", "greedy"),
}

# The tally's vote type for each kind of ballot (``BallotChoice.value`` is 1, points or a grade).
VOTE_TYPES = {
    BallotKind.APPROVAL: "approval",
    BallotKind.KNAPSACK: "approval",
    BallotKind.CUMULATIVE: "cumulative",
    BallotKind.MAJORITY_JUDGMENT: "grades",
}

# META "rule" of the ballot file (pabulib's own vocabulary); other rules are "unknown" there and named in the META
# "comment". Equal shares are not written "equalshares/add1": pabulib-checker's own add1 check never ends when no
# further project can be funded (its loop stops only once the outcome exceeds the budget).
PABULIB_RULES = {"greedy": "greedy", "greedy-points": "greedy"}

TIE_BREAKING = "smallest-id"


def is_equal_shares(rule: str) -> bool:
    return rule.startswith("mes")


def rule_label(rule: str) -> str:
    return str(RULE_LABELS.get(rule, rule))


def offered_rules(kind) -> tuple[str, ...]:
    return OFFERED[BallotKind(kind)]


def comparison_rule(rule: str, kind) -> str:
    """The rule of the other family: greedy (by votes or points) beside equal shares, equal shares beside greedy."""
    if is_equal_shares(rule):
        return "greedy-points" if BallotKind(kind) == BallotKind.CUMULATIVE else "greedy"
    return "mes-cost+add1"


CHANNEL_LABELS = {
    "web": _l("Online"),
    "phone": _l("By phone (call center)"),
    "paper": _l("On paper (polling station)"),
    "code": _l("With a voting code"),
}


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))
