"""Who may do what with accounts and the admin pages."""

from app.accounts.models import Role

# action -> roles allowed (signed-in users only)
RULES: dict[str, set[Role]] = {
    "view_profile": set(Role),
    "admin.dashboard": {Role.OFFICIAL},
    "admin.manage_users": {Role.OFFICIAL},
    "admin.audit_log": {Role.OFFICIAL},
    "admin.outbox": {Role.OFFICIAL},
}


def can(user, action: str, obj=None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.role in RULES[action]
