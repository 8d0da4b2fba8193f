"""Who may do what with tallies and results.

Officials run tallies, look at every run (published or not) and publish one. Everyone, anonymous visitors included,
sees the results of a run once it is published and the cycle's results phase has started (by the server's clock).
"""

from app.accounts.models import Role

RULES: dict[str, frozenset[Role]] = {
    "tally.run": frozenset({Role.OFFICIAL}),
    "tally.publish": frozenset({Role.OFFICIAL}),
    "tally.manage": frozenset({Role.OFFICIAL}),  # the runs page and unpublished runs
}


def _official(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.role in RULES["tally.manage"]


def can(user, action: str, obj=None) -> bool:
    if action == "results.view":  # obj: a TallyRun
        from app.results.services import is_public

        return obj is not None and (is_public(obj) or _official(user))
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role in RULES[action]
