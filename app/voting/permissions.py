"""Who may do what with voting.

Every signed-in account may vote (officials and agents live in the city too); whether they may vote *now* (phase,
confirmed email, suspension, one vote per person) is the services' business. Only officials set the ballot rules,
upload the census, manage polling stations and export the anonymised ballots (after voting closes). Any signed-in
account may verify its census entry. Paper ballots are entered by city staff: officials and call-center agents (city
employees who already record phone votes), who sign in at a polling station; moderators, teachers and residents may
not. Anyone, anonymous visitors included, may check a receipt once the results are published: the code is the secret.

Voting codes: only officials generate, print and void them; anyone (no account needed) may type one to vote.
The staff desk (live turnout, codes used, paper ballots per station and staff member) is for officials only:
moderators look after comments, not the vote; agents record votes but do not need live turnout by district or
their colleagues' counts (figures about named staff members are personnel data). Counts only, never choices.
"""

from app.accounts.models import Role

PUBLIC = frozenset({"receipt.check", "code.vote"})
# action -> roles allowed (signed-in users only)
RULES: dict[str, frozenset[Role]] = {
    "vote": frozenset(Role),
    "rules.manage": frozenset({Role.OFFICIAL}),
    "census.manage": frozenset({Role.OFFICIAL}),
    "census.verify": frozenset(Role),
    "stations.manage": frozenset({Role.OFFICIAL}),
    "paper.enter": frozenset({Role.OFFICIAL, Role.AGENT}),
    "ballots.export": frozenset({Role.OFFICIAL}),  # the anonymised ballots, after voting closes
    "codes.manage": frozenset({Role.OFFICIAL}),
    "desk.view": frozenset({Role.OFFICIAL}),
}


def can(user, action: str, obj=None) -> bool:
    if action in PUBLIC:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role in RULES[action]
