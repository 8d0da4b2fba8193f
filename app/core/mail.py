"""Mail goes through the outbox: queued in the caller's transaction, delivered by ``flask pb worker``.

Without a mail server configured, delivery writes the message to the log and marks it ``logged``; officials read
every message in the admin outbox either way.
"""

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.models import OutboxMessage
from app.extensions import db

MAX_ATTEMPTS = 6


def queue_mail(recipient: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(kind="email", recipient=recipient, subject=str(subject)[:200], body=str(body))
    db.session.add(message)
    return message


def _send(message: OutboxMessage) -> str:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        current_app.logger.info("Mail to %s: %s\n%s", message.recipient, message.subject, message.body)
        return "logged"
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
    return "sent"


def deliver_pending(limit: int = 100) -> int:
    """Deliver due messages, one commit per message so a crash never sends one twice. Returns how many went out."""
    now = utcnow()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    delivered = 0
    for message_id in ids:
        message = db.session.get(OutboxMessage, message_id, with_for_update={"skip_locked": True})
        if message is None or message.status != "pending":
            db.session.rollback()
            continue
        message.attempts += 1
        try:
            message.status = _send(message)
            message.sent_at = utcnow()
            delivered += 1
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = str(error)[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
            else:
                message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)
        db.session.commit()
    return delivered
