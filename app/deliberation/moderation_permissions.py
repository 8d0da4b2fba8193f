"""Who may report and who moderates.

Anyone signed in (any role) may report a comment or a proposal; a suspended account is refused by the service,
not here, so that it gets a clear message. Moderators and officials moderate: the queue, hiding, restoring,
dismissing, approving held comments, forbidden words and suspensions. A moderator may suspend residents,
call-center agents and teachers; an official may also suspend moderators. Nobody suspends an official (an official's
account is managed through roles) or themselves.
"""

from app.accounts.models import Role

MODERATORS = frozenset({Role.MODERATOR, Role.OFFICIAL})

# actor's role -> roles of the accounts it may suspend
SUSPENDABLE: dict[Role, frozenset[Role]] = {
    Role.MODERATOR: frozenset({Role.RESIDENT, Role.AGENT, Role.TEACHER}),
    Role.OFFICIAL: frozenset({Role.RESIDENT, Role.AGENT, Role.TEACHER, Role.MODERATOR}),
}

# action -> roles allowed (signed-in users only)
RULES: dict[str, frozenset[Role]] = {
    "report": frozenset(Role),
    "moderate": MODERATORS,  # the queue and every decision on content
    "words": MODERATORS,  # the list of forbidden words
    "suspensions": MODERATORS,  # the list of running suspensions
}


def can(user, action: str, obj=None) -> bool:
    """``obj`` is the account to suspend (or whose suspension to lift) for "suspend"."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if action == "suspend":
        return obj is not None and obj.id != user.id and obj.role in SUSPENDABLE.get(user.role, frozenset())
    return user.role in RULES[action]
