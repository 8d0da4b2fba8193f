"""Who may do what with the lessons.

Anyone (signed in or not, pupil or adult) reads the lessons and may try a quiz; only a signed-in pupil's answers
are kept (``obj`` is the pupil of the request, ``flask.g.pupil``). The teacher's guides, which give the answers, are
for teachers and officials.
"""

from app.accounts.models import Role

PUBLIC_ACTIONS = {"read", "quiz"}
GUIDE_ROLES = {Role.TEACHER, Role.OFFICIAL}


def can(user, action: str, obj=None) -> bool:
    if action in PUBLIC_ACTIONS:
        return True
    if action == "keep_answers":
        return obj is not None and bool(getattr(obj, "learner_key", None))
    if action == "guide":
        return user is not None and user.is_authenticated and user.role in GUIDE_ROLES
    raise ValueError(f"unknown lessons action {action!r}")
