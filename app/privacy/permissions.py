"""Who may do what with personal data: each account holder manages their own; the privacy page is public."""

# action -> who may (signed-in holders act only on their own account; services pass the holder as ``user``)
ACTIONS = {"view_policy", "manage_own", "delete_own"}


def can(user, action: str, obj=None) -> bool:
    if action not in ACTIONS:
        raise KeyError(action)
    if action == "view_policy":
        return True
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "deleted_at", None) is not None:
        return False
    # Every role manages its own data; the last official is refused by the service (the city keeps one).
    return obj is None or getattr(obj, "id", None) == user.id
