"""Pages, language, security headers, error pages, outbox delivery."""

from unittest import mock

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.mail import deliver_pending, queue_mail
from app.core.models import OutboxMessage
from app.core.security import is_safe_path
from tests.conftest import csrf_token


def test_home_page_explains_in_french_by_default(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in html and "Vos idées, notre budget" in html
    assert html.count("<h1") == 1
    assert 'href="#main"' in html and 'id="main"' in html


def test_accept_language_then_cookie_then_user_preference(client, login_as, db):
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(True)
    token = csrf_token(client, "/")
    response = client.post("/language", data={"csrf_token": token, "locale": "nl", "next": "/about"})
    assert response.status_code == 302 and response.location == "/about"
    assert '<html lang="nl">' in client.get("/", headers={"Accept-Language": "en"}).get_data(True)
    user = login_as(locale="en")
    assert '<html lang="en">' in client.get("/").get_data(True)
    client.post("/language", data={"csrf_token": csrf_token(client, "/"), "locale": "fr"})
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "fr"


def test_language_switch_rejects_unknown_locales_and_foreign_redirects(client):
    token = csrf_token(client, "/")
    assert client.post("/language", data={"csrf_token": token, "locale": "xx"}).status_code == 400
    response = client.post("/language", data={"csrf_token": token, "locale": "en", "next": "https://evil.example"})
    assert response.location == "/"
    assert client.post("/language", data={"locale": "en"}).status_code == 400  # no CSRF token


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_make_no_third_party_requests(client):
    html = client.get("/").get_data(as_text=True) + client.get("/account/register").get_data(as_text=True)
    for attribute in ("src=", "href="):
        for value in html.split(attribute)[1:]:
            url = value[1:].split(value[0])[0]
            assert not url.startswith(("http://", "https://", "//")) or "forge.example.org" in url or (
                "etalab.gouv.fr" in url), url  # plain links to the licence and source are not requests


def test_session_cookie_flags(client, login_as):
    login_as()
    response = client.post("/language", data={"csrf_token": csrf_token(client, "/"), "locale": "fr"})
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in cookies and "SameSite=Lax" in cookies


@pytest.mark.parametrize("code", [404])
def test_translated_error_pages(client, code):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    english = client.get("/does-not-exist", headers={"Accept-Language": "en"})
    assert "Page not found" in english.get_data(as_text=True)


def test_server_error_page_is_translated(app):
    from app import create_app
    from app.config import TestConfig

    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       PROPAGATE_EXCEPTIONS=False)

    @other.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    response = other.test_client().get("/boom-for-test")
    assert response.status_code == 500
    assert "Une erreur" in response.get_data(as_text=True)


def test_method_not_allowed_page(client):
    assert client.post("/about").status_code in (400, 405)


@pytest.mark.parametrize(
    ("target", "safe"),
    [("/account/profile", True), ("/a?b=c", True), ("//evil.example", False), ("https://evil.example", False),
     ("/\\evil", False), ("", False), (None, False), ("javascript:alert(1)", False), ("/x\nSet-Cookie:", False)],
)
def test_is_safe_path(target, safe):
    assert is_safe_path(target) is safe


def test_outbox_without_mail_server_logs_and_keeps_messages(db, app):
    message = queue_mail("a@example.org", "Sujet", "Corps")
    db.session.commit()
    with mock.patch.object(app.logger, "info") as log:
        assert deliver_pending() == 1
    assert log.called
    db.session.refresh(message)
    assert message.status == "logged" and message.sent_at is not None
    assert deliver_pending() == 0  # never twice


def test_outbox_retries_with_backoff_then_gives_up(db, app):
    import smtplib

    message = queue_mail("b@example.org", "Sujet", "Corps")
    db.session.commit()
    app.config["MAIL_SERVER"] = "127.0.0.1"
    try:
        with mock.patch("smtplib.SMTP", side_effect=smtplib.SMTPConnectError(421, "down")):
            assert deliver_pending() == 0
            db.session.refresh(message)
            assert message.status == "pending" and message.attempts == 1 and "down" in message.last_error
            assert deliver_pending() == 0  # not due yet: backoff
            db.session.refresh(message)
            assert message.attempts == 1
    finally:
        app.config["MAIL_SERVER"] = ""
    assert db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message.id)) == "pending"


def test_vendor_files_are_served_from_our_origin(client):
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/vendor/../pyproject.toml").status_code == 404
    assert client.get("/vendor/axe-core/axe.min.js").status_code == 404  # test tool, not served


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
