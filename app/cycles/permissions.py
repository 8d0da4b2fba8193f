"""Who may do what with budget cycles, districts and themes (categories)."""

from app.accounts.models import Role

# action -> roles allowed (signed-in users); PUBLIC actions are open to everyone, anonymous visitors included.
PUBLIC = {"cycle.view"}
RULES: dict[str, set[Role]] = {
    "cycle.manage": {Role.OFFICIAL},
    "district.manage": {Role.OFFICIAL},
    "category.manage": {Role.OFFICIAL},
}


def can(user, action: str, obj=None) -> bool:
    if action in PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.role in RULES[action]
