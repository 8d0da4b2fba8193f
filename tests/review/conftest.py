"""Fixtures for the review tests: a request context for services (links in notifications are absolute URLs)."""

import pytest


@pytest.fixture
def ctx(app, db):
    """Service tests call ``change_status``, whose notifications build absolute links: they need a request."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield db


PREFIXES = ("", "start-", "feasible-", "notfeasible-", "notes-", "assign-", "merge-", "freeze-", "delete-")


def tokens(client) -> dict:
    """The session's CSRF token under every form prefix of the review pages."""
    from tests.conftest import csrf_token

    token = csrf_token(client, "/")
    return {f"{prefix}csrf_token": token for prefix in PREFIXES}


def post(client, path: str, data: dict | None = None):
    return client.post(path, data={**tokens(client), **(data or {})})
