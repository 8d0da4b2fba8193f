"""Who may use the call center.

Call-center agents and officials take calls, work the callback queue and see callers' records (every read is
audited). Only officials see the dashboard and manage talking points, the list of city services and the per-budget
phone-support setting. Residents, moderators and teachers never see a caller: they may only claim a proposal that
was entered for them by phone.
"""

from app.accounts.models import Role

AGENTS = frozenset({Role.AGENT, Role.OFFICIAL})

# action -> roles allowed (signed-in users only)
RULES: dict[str, frozenset[Role]] = {
    "console": AGENTS,  # the call screen, search, the call log
    "take_calls": AGENTS,  # intake and outcomes
    "callbacks": AGENTS,  # the callback queue, taking a task
    "callers": AGENTS,  # a caller's record (contact data), forgetting a caller
    "dashboard": frozenset({Role.OFFICIAL}),
    "manage": frozenset({Role.OFFICIAL}),  # talking points, city services, phone supports per budget
    "claim": frozenset(Role),  # claim a proposal entered by phone, with its code
}


def can(user, action: str, obj=None) -> bool:
    """``obj`` is the callback task for "work_task": only the agent who took it may record or release it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if action == "work_task":
        return (user.role in AGENTS and obj is not None and obj.status == "in_progress"
                and obj.taken_by_id == user.id)
    return user.role in RULES[action]
