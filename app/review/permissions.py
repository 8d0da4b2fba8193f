"""Who may review proposals.

Officials review everything and run the review (assign reviewers, merge, reason templates, ballot freeze).
A reviewer an official assigned to a proposal (an official or a moderator) reviews that proposal. Moderators are
staff: they see the review dashboard and review pages (staff notes included) so that an assigned moderator finds
their proposals. Residents, call-center agents and teachers never review.
"""

from app.accounts.models import Role

STAFF = frozenset({Role.OFFICIAL, Role.MODERATOR})
# Roles an official may assign as the reviewer of a proposal.
REVIEWER_ROLES = STAFF

# action -> roles allowed whatever the proposal (signed-in users only)
RULES: dict[str, frozenset[Role]] = {
    "dashboard": STAFF,  # review dashboard, counts, the list of proposals waiting
    "export": STAFF,  # CSV of the filtered list (staff notes and costs, never emails)
    "view": STAFF,  # a proposal's review page, staff notes included
    "assign": frozenset({Role.OFFICIAL}),
    "merge": frozenset({Role.OFFICIAL}),
    "reasons": frozenset({Role.OFFICIAL}),  # manage the reason templates
    "freeze": frozenset({Role.OFFICIAL}),
}
# Actions on one proposal that its assigned reviewer may also take.
REVIEWER_ACTIONS = frozenset({"review", "notes"})


def is_assigned_reviewer(user, proposal) -> bool:
    return (
        proposal is not None and proposal.reviewer_id is not None and proposal.reviewer_id == user.id
        and user.role in REVIEWER_ROLES
    )


def can(user, action: str, obj=None) -> bool:
    """``obj`` is the proposal for "review" (feasibility, cost, ballot text) and "notes" (staff notes)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if action in REVIEWER_ACTIONS:
        return user.role == Role.OFFICIAL or is_assigned_reviewer(user, obj)
    return user.role in RULES[action]
