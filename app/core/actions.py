"""One-button actions in views: run a service, commit on success, flash the outcome either way."""

from flask import flash

from app.core.errors import ServiceError
from app.extensions import db


def run_and_flash(operation, success_message: str) -> bool:
    """Call ``operation()``; commit and flash ``success_message``, or roll back and flash the service's refusal."""
    try:
        operation()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return False
    db.session.commit()
    flash(success_message, "success")
    return True
