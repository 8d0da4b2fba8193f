"""Privacy pages through the web: every role manages its own choices and data; bad input changes nothing."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.core import clock
from app.core.models import Notification, OutboxMessage
from app.cycles.models import PhaseKind
from app.deliberation.models import Comment
from app.privacy import services
from app.privacy.models import ConsentKind, ConsentRecord
from app.proposals.models import Follow, ProposalStatus
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, make_cycle, make_proposal, make_user


def records(db, user) -> list[tuple[str, bool]]:
    return [(r.kind.value, r.granted) for r in db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.user_id == user.id).order_by(ConsentRecord.id))]


def choose(client, kind: str, **data):
    data.setdefault("csrf_token", csrf_token(client, "/account/privacy"))
    return client.post(f"/account/privacy/{kind}", data={f"{kind}-{k}" if k != "csrf_token" else k: v
                                                         for k, v in data.items()})


# --- settings --------------------------------------------------------------------------------------------------------


def test_every_role_has_its_privacy_settings_with_nothing_preselected(client, login_as, any_role):
    login_as(any_role)
    html = client.get("/account/privacy").get_data(as_text=True)
    assert client.get("/account/privacy").status_code == 200
    assert html.count('type="radio"') == 8 and "checked" not in html
    for kind in ConsentKind:
        assert f'action="/account/privacy/{kind.value}"' in html


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for path in ("/account/privacy", "/account/privacy/data", "/account/delete"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/login" in response.location
    assert client.post("/account/privacy/news", data={}).status_code in (302, 400)


def test_a_choice_is_saved_then_withdrawn_and_the_page_shows_it(client, db, login_as):
    user = login_as(Role.RESIDENT, locale="en")
    assert choose(client, "news", answer="yes").status_code == 302
    assert choose(client, "news", answer="no").status_code == 302
    assert records(db, user) == [("news", True), ("news", False)]
    html = client.get("/account/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<input checked id="news-answer-1"' in html


@pytest.mark.parametrize("data", [{}, {"answer": "maybe"}, {"answer": "yes", "csrf_token": "forged"}])
def test_bad_answers_are_refused_and_change_nothing(client, db, login_as, data):
    user = login_as()
    response = choose(client, "contact", **data)
    assert response.status_code in (400, 422)
    assert records(db, user) == []


def test_an_unknown_choice_is_404(client, db, login_as):
    login_as()
    token = csrf_token(client, "/account/privacy")
    assert client.post("/account/privacy/everything", data={"csrf_token": token}).status_code == 404


def test_a_refused_pseudonym_is_explained_on_the_page(client, db, login_as):
    user = login_as(display_name="Camille Dupont")
    response = choose(client, "show_name", answer="pseudonym", pseudonym="Camille Dupont")
    assert response.status_code == 422
    assert "pseudonyme doit être différent" in response.get_data(as_text=True)
    assert records(db, user) == [] and not db.session.get(User, user.id).use_pseudonym


# --- a pseudonym replaces the name everywhere public ----------------------------------------------------------------


def test_a_pseudonym_replaces_the_name_on_every_public_page_and_in_messages_to_others(client, db, login_as):
    author = login_as(display_name="Camille Dupont")
    assert choose(client, "show_name", answer="pseudonym", pseudonym="Lilas du quartier").status_code == 302
    cycle = make_cycle(PhaseKind.SUBMISSION)
    proposal = make_proposal(cycle, author, title="Des bancs place du Concert")
    follower = make_user(email="suiveur@example.org")
    db.session.add(Follow(proposal_id=proposal.id, user_id=follower.id, by_email=True))
    db.session.commit()
    token = csrf_token(client, f"/proposals/{proposal.id}")
    response = client.post(f"/comments/proposals/{proposal.id}", data={
        "csrf_token": token, "body": "Il en faut aussi près de l’école.", "stance": "for"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    comment = db.session.scalar(select(Comment).where(Comment.proposal_id == proposal.id))
    pages = [f"/proposals/{proposal.id}", "/proposals/", f"/proposals/?cycle={cycle.id}",
             f"/comments/{comment.id}/reply", f"/comments/{comment.id}"]
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/privacy")})
    visitor = make_user()
    db.session.commit()
    login(client, visitor)
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert "Camille" not in html and "Dupont" not in html, path
    assert "Lilas du quartier" in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    told = " ".join(n.message for n in db.session.scalars(select(Notification)
                                                         .where(Notification.user_id == follower.id)))
    mails = " ".join(m.body + m.subject for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "suiveur@example.org")))
    assert "Lilas du quartier" in told and "Camille" not in told + mails


# --- download my data -------------------------------------------------------------------------------------------------


def prepare(client) -> str:
    response = client.post("/account/privacy/data", data={"csrf_token": csrf_token(client, "/account/privacy/data")})
    assert response.status_code == 200
    return re.search(r'href="(/account/privacy/data/[^"]+)"', response.get_data(as_text=True)).group(1)


def test_the_download_link_works_once_for_its_holder_only(client, db, login_as, any_role):
    user = login_as(any_role, display_name="Camille Dupont")
    link = prepare(client)
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["display_name"] == "Camille Dupont" and data["account"]["id"] == user.id
    assert client.get(link).status_code == 400  # used


def test_another_account_cannot_use_the_link_nor_spend_it(client, db, login_as):
    login_as()
    link = prepare(client)
    other = make_user()
    db.session.commit()
    login(client, other)
    assert client.get(link).status_code == 403
    client.get("/account/privacy")  # nothing from the holder's archive on any page either
    holder = db.session.scalar(select(User).where(User.id != other.id).order_by(User.id.desc()))
    login(client, holder)
    assert client.get(link).status_code == 200


def test_an_expired_or_made_up_link_is_refused(client, db, login_as, monkeypatch):
    login_as()
    link = prepare(client)
    later = clock.utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "_now", lambda: later)
    assert client.get(link).status_code == 400
    assert client.get("/account/privacy/data/" + "x" * 500).status_code == 400


def test_a_signed_out_visitor_cannot_download(client, db, login_as):
    login_as()
    link = prepare(client)
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/privacy")})
    response = client.get(link)
    assert response.status_code == 302 and "/account/login" in response.location


# --- delete my account ------------------------------------------------------------------------------------------------


def delete(client, **data):
    data.setdefault("csrf_token", csrf_token(client, "/account/delete"))
    return client.post("/account/delete", data=data)


@pytest.mark.parametrize("data", [{"password": "wrong password", "confirm": "y"}, {"password": PASSWORD},
                                  {"confirm": "y"}])
def test_deletion_refuses_a_wrong_password_or_no_confirmation(client, db, login_as, data):
    user = login_as()
    assert delete(client, **data).status_code == 422
    assert db.session.get(User, user.id).deleted_at is None


def test_deletion_signs_out_and_the_content_stays_as_former_participant(client, db, login_as, any_role):
    if any_role == Role.OFFICIAL:
        make_user(Role.OFFICIAL)  # the city keeps an official
    user = login_as(any_role, display_name="Camille Dupont")
    proposal = make_proposal(author=user, status=ProposalStatus.FEASIBLE)
    db.session.commit()
    response = delete(client, password=PASSWORD, confirm="y")
    assert response.status_code == 302
    assert db.session.get(User, user.id).deleted_at is not None
    assert client.get("/account/privacy").status_code == 302  # signed out
    html = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Camille" not in html and "personne qui n’a plus de compte" in html


def test_the_only_official_is_told_to_hand_over_first(client, db, login_as):
    official = login_as(Role.OFFICIAL)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.OFFICIAL)) == 1
    response = delete(client, password=PASSWORD, confirm="y")
    assert response.status_code == 422 and "seul" in response.get_data(as_text=True)
    assert db.session.get(User, official.id).deleted_at is None


# --- the public page --------------------------------------------------------------------------------------------------


def test_the_privacy_page_is_public_and_states_the_configured_periods(client, db, app):
    app.config["AUDIT_RETENTION_MONTHS"] = 9
    try:
        html = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    finally:
        app.config["AUDIT_RETENTION_MONTHS"] = 12
    assert "9 months" in html
    assert f"{app.config['UNCONFIRMED_ACCOUNT_DAYS']} days" in html
    assert "pupils&#39; cards" in html and "end of the school year" in html  # the schools' data too
    assert services.data_register()  # every entry rendered


@pytest.mark.parametrize("agreed", [True, False])
def test_reviewers_see_the_authors_email_only_when_they_agreed_to_be_contacted(client, db, login_as, agreed):
    author = make_user(email="auteur@example.org")
    if agreed:
        services.set_choice(author, ConsentKind.CONTACT, True)
    proposal = make_proposal(author=author)
    db.session.commit()
    login_as(Role.OFFICIAL)
    html = client.get(f"/review/proposals/{proposal.id}").get_data(as_text=True)
    assert ("auteur@example.org" in html) is agreed


def test_after_a_refused_answer_the_other_choices_still_show_their_current_answer(client, db, login_as):
    login_as()
    assert choose(client, "news", answer="yes").status_code == 302
    html = choose(client, "contact", answer="maybe").get_data(as_text=True)
    assert '<input checked id="news-answer-0"' in html and "checked id=\"contact-answer" not in html
