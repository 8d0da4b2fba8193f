"""Who may do what with the tracking of funded projects. Phase and status rules are checked by the services."""

from app.accounts.models import Role

# Everyone (signed in or not) may read what became of the votes: the outcomes page, the tracking shown on a
# proposal's page and the photos of its updates.
PUBLIC_ACTIONS = {"view"}

# action -> roles allowed (signed-in users only)
RULES: dict[str, set[Role]] = {
    "manage": {Role.OFFICIAL},  # list the selected projects, open and edit their tracking, post and delete updates
}


def can(user, action: str, obj=None) -> bool:
    if action in PUBLIC_ACTIONS:
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.role in RULES[action]
