"""Tell a user something: an in-app notification, and an email when they asked for one.

Both are written in the caller's transaction (the outbox pattern): nothing is sent for a change rolled back.
"""

from collections.abc import Callable

from flask import current_app, has_request_context, request
from flask_babel import force_locale

from app.core.mail import queue_mail
from app.core.models import Notification
from app.extensions import db


def absolute_url(path: str) -> str:
    """An address for emails: BASE_URL when configured, else the current request's host."""
    if path.startswith(("http://", "https://")):
        return path
    base = current_app.config.get("BASE_URL") or (request.url_root if has_request_context() else "http://localhost/")
    return base.rstrip("/") + path


def notify(user, kind: str, message: Callable[[], str], link: str = "", email: bool = False,
           subject: Callable[[], str] | None = None) -> Notification:
    """``message`` and ``subject`` are called inside the recipient's locale so their text is in their language."""
    with force_locale(user.locale or "fr"):
        text = str(message())
        title = str(subject()) if subject else text[:150]
    notification = Notification(user_id=user.id, kind=kind, message=text, link=link)
    db.session.add(notification)
    if email and user.email:
        queue_mail(user.email, title, f"{text}\n\n{absolute_url(link)}" if link else text)
    return notification
