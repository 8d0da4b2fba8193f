"""Shared plumbing for permission checks. Each feature has its own ``can(user, action, obj=None)``."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from app.extensions import login_manager


def require(can: Callable, action: str, obj_loader: Callable | None = None):
    """View decorator: anonymous visitors go to the login page; signed-in users without the right get a 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            obj = obj_loader(**kwargs) if obj_loader else None
            if not can(current_user, action, obj):
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
