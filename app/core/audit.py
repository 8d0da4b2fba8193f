"""The audit log: every privileged action is recorded by the service that performs it."""

import json

from app.core.models import AuditEntry
from app.extensions import db


def record(actor, action: str, target=None, channel: str = "web", **details) -> AuditEntry:
    """Add an audit entry to the current transaction. ``target`` is a model instance or a (type, id) pair."""
    if target is None:
        target_type, target_id = "", ""
    elif isinstance(target, tuple):
        target_type, target_id = target
    else:
        target = getattr(target, "_get_current_object", lambda: target)()  # current_user is a proxy
        target_type, target_id = type(target).__tablename__, getattr(target, "id", "")
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "audit_label", "system") if actor is not None else "system",
        action=action,
        target_type=str(target_type),
        target_id=str(target_id or ""),
        details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True) if details else "",
        channel=channel,
    )
    db.session.add(entry)
    return entry
