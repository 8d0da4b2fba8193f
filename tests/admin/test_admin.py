"""Admin pages: only officials, role changes audited, audit log filters."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.core.models import AuditEntry
from tests.conftest import csrf_token
from tests.factories import make_user

ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/audit", "/admin/outbox"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_by_role(client, login_as, any_role, path):
    login_as(any_role)
    response = client.get(path)
    assert response.status_code == (200 if any_role == Role.OFFICIAL else 403)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_send_anonymous_visitors_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/account/login" in response.location


def _change_role(client, user, role):
    return client.post("/admin/users/role", data={"csrf_token": csrf_token(client, "/admin/users"),
                                                   "user_id": str(user.id), "role": role})


def test_official_changes_a_role_and_it_is_audited(client, db, login_as):
    official = login_as(Role.OFFICIAL)
    resident = make_user(display_name="Jeanne")
    db.session.commit()
    assert _change_role(client, resident, "agent").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, resident.id).role == Role.AGENT
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.role_changed"))
    assert entry.actor_id == official.id and entry.target_id == str(resident.id)
    assert '"after": "agent"' in entry.details and '"before": "resident"' in entry.details
    page = client.get("/admin/audit?action=user.role").get_data(as_text=True)
    assert "user.role_changed" in page


@pytest.mark.parametrize("role", [r for r in Role if r != Role.OFFICIAL])
def test_non_officials_cannot_change_roles(client, db, login_as, role):
    login_as(role)
    target = make_user()
    db.session.commit()
    response = client.post("/admin/users/role", data={"csrf_token": csrf_token(client, "/"),
                                                       "user_id": str(target.id), "role": "official"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, target.id).role == Role.RESIDENT


def test_bad_role_changes_nothing(client, db, login_as):
    login_as(Role.OFFICIAL)
    target = make_user()
    db.session.commit()
    assert _change_role(client, target, "emperor").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).role == Role.RESIDENT
    assert client.post("/admin/users/role", data={"csrf_token": csrf_token(client, "/admin/users"),
                                                  "user_id": "999999", "role": "agent"}).status_code == 404


def test_the_last_official_keeps_the_role(client, db, login_as):
    me = login_as(Role.OFFICIAL)
    response = _change_role(client, me, "resident")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, me.id).role == Role.OFFICIAL
    assert "Le dernier" in client.get("/admin/users").get_data(as_text=True)


def test_role_change_without_csrf_is_refused(client, db, login_as):
    login_as(Role.OFFICIAL)
    target = make_user()
    db.session.commit()
    response = client.post("/admin/users/role", data={"user_id": str(target.id), "role": "official"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, target.id).role == Role.RESIDENT


def test_user_search_and_filters(client, db, login_as):
    login_as(Role.OFFICIAL)
    make_user(display_name="Zoé Martin", email="zoe@example.org")
    make_user(Role.TEACHER, display_name="Paul Durand")
    db.session.commit()
    page = client.get("/admin/users?q=zoé").get_data(as_text=True)
    assert "Zoé Martin" in page and "Paul Durand" not in page
    page = client.get("/admin/users?role=teacher").get_data(as_text=True)
    assert "Paul Durand" in page and "Zoé Martin" not in page
    assert client.get("/admin/users?page=abc").status_code == 200


def test_audit_log_filters_by_date_and_rejects_bad_dates(client, db, login_as):
    login_as(Role.OFFICIAL)
    assert client.get("/admin/audit?since=2026-01-01&until=2026-12-31").status_code == 200
    assert client.get("/admin/audit?since=not-a-date").status_code == 400


def test_outbox_lists_messages(client, db, login_as):
    from app.core.mail import queue_mail

    login_as(Role.OFFICIAL)
    queue_mail("someone@example.org", "Bonjour", "Corps du message")
    db.session.commit()
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Bonjour" in page and "Corps du message" in page
