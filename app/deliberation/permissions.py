"""Who may do what with comments. Phase and thread rules (open phase, hidden proposal, suspension) are checked by
the services, which also call ``can`` so that no channel skips these rules.

- Anyone reads a thread; pending comments (held for moderation) only by their author and by moderators/officials.
- Signed-in accounts of every role with a confirmed email comment and mark others' comments useful.
- An official, or the proposal's assigned reviewer, may publish the city's answer.
- Authors change their comment for ``EDIT_WINDOW`` after posting, and delete it at any time.
- Signed-in users report others' comments (the form lives in ``app.deliberation.moderation_views``).
"""

from datetime import timedelta

from app.accounts.models import Role
from app.core.clock import as_utc, utcnow
from app.deliberation.models import Visibility
from app.review.permissions import is_assigned_reviewer

EDIT_WINDOW = timedelta(minutes=15)
MODERATORS = frozenset({Role.MODERATOR, Role.OFFICIAL})


def _is_author(user, comment) -> bool:
    return comment.author_id is not None and comment.author_id == user.id


def is_live(comment) -> bool:
    """Shown with its text: not deleted, not hidden, not waiting for a moderator."""
    return comment.deleted_at is None and comment.visibility == Visibility.VISIBLE


def within_edit_window(comment, now=None) -> bool:
    return (now or utcnow()) - as_utc(comment.created_at) <= EDIT_WINDOW


def can(user, action: str, obj=None) -> bool:
    """``obj`` is the proposal for "comment" and "answer_officially", the comment for every other action."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if action == "see_pending":
        # A comment held for moderation: its author and the people who moderate.
        return signed_in and (user.role in MODERATORS or obj is not None and _is_author(user, obj))
    if not signed_in:
        return False
    if action == "comment":
        return user.email_confirmed
    if action == "answer_officially":
        return user.email_confirmed and (user.role == Role.OFFICIAL or is_assigned_reviewer(user, obj))
    if action == "edit":
        return (_is_author(user, obj) and obj.deleted_at is None and obj.visibility != Visibility.HIDDEN
                and within_edit_window(obj))
    if action == "delete":
        return _is_author(user, obj) and obj.deleted_at is None
    if action == "mark_useful":
        return user.email_confirmed and not _is_author(user, obj) and is_live(obj)
    if action == "report":
        return not _is_author(user, obj) and is_live(obj)
    if action == "see_reports":
        return user.role in MODERATORS
    raise KeyError(action)
