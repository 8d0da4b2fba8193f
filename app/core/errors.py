"""Errors raised by services, and the translated error pages."""

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError


class ServiceError(Exception):
    """A rule a service refused to break. ``message`` is a lazily translated string shown to the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)  # kept lazy: translated when shown, so services also work outside a request
        self.message = message
        self.field = field


class NotAllowed(ServiceError):
    pass


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("This page does not exist or has been moved.")),
    405: (_l("Method not allowed"), _l("This action is not possible on this page.")),
    413: (_l("File too large"), _l("The file you sent is too large.")),
    429: (
        _l("Too many attempts"),
        _l("You have made too many attempts in a short time. Please wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error occurred. The team has been told; please try again later."),
    ),
}


# Shorter texts for machines (the API answers JSON): no "go back" advice.
JSON_ERROR_TEXTS = {
    400: _l("The request could not be understood."),
    404: _l("Nothing here: check the address and the identifier."),
    405: _l("This method is not allowed here: the API only reads (GET)."),
    429: _l("Too many requests from your address. Wait a little (see the Retry-After header), then try again."),
}


def answer_json_under(app: Flask, prefix: str) -> None:
    """Errors of addresses under ``prefix`` (an API) are answered as JSON ``{"error": {status, message}}``."""
    app.extensions.setdefault("json_error_prefixes", []).append(prefix)


def wants_json() -> bool:
    return any(request.path.startswith(p) for p in current_app.extensions.get("json_error_prefixes", ()))


def json_error(code: int, message=None, **extra):
    text = message or JSON_ERROR_TEXTS.get(code) or ERROR_TEXTS.get(code, ERROR_TEXTS[500])[1]
    return jsonify({"error": {"status": code, "message": str(text), **extra}}), code


def render_error(code: int, detail=None):
    if wants_json():
        return json_error(code, detail)
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def register_error_handlers(app: Flask) -> None:
    for code in ERROR_TEXTS:
        if code == 500:
            continue
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(
            400, _("Your form has expired or was sent from elsewhere. Please reload the page and send it again.")
        )

    @app.errorhandler(500)
    def server_error(e):
        from app.extensions import db

        db.session.rollback()
        app.logger.error("Server error on %s %s", request.method, request.path)
        return render_error(500)
