"""Reports, the moderation queue, decisions, suspensions and forbidden words through the web, role by role."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.core import clock
from app.core.models import AuditEntry, Notification
from app.core.rendering import render_markdown
from app.cycles.models import PhaseKind
from app.deliberation.models import Comment, ForbiddenWord, Report, ReportStatus, Suspension, Visibility
from app.extensions import db as _db
from app.proposals.models import Proposal, ProposalStatus, Support
from tests.conftest import csrf_token, login, outbox_to
from tests.factories import make_category, make_cycle, make_proposal, make_user
from tests.xss_corpus import PAYLOADS, injected_markup

EN = {"Accept-Language": "en"}
MODERATING = [Role.MODERATOR, Role.OFFICIAL]
NOT_MODERATING = [Role.RESIDENT, Role.AGENT, Role.TEACHER]


def make_comment(proposal, author=None, body="Un avis sur cette idée.", visibility=Visibility.VISIBLE, **values):
    comment = Comment(proposal_id=proposal.id, author=author or make_user(), body=body,
                      body_html=render_markdown(body), visibility=visibility, **values)
    _db.session.add(comment)
    _db.session.flush()
    if visibility == Visibility.VISIBLE:
        proposal.comments_count += 1
        _db.session.flush()
    return comment


def sign_in(login_as, role=Role.RESIDENT, **values):
    values.setdefault("locale", "en")
    return login_as(role, **values)


def post(client, path: str, data: dict | None = None, **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=EN, **kwargs)


def count(model, *conditions) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def audit_actions() -> list[str]:
    return list(_db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def followed(client, response):
    assert response.status_code == 302, response.status_code
    return client.get(response.location, headers=EN).get_data(as_text=True)


@pytest.fixture
def proposal(db):
    cycle = make_cycle(PhaseKind.SUBMISSION)
    row = make_proposal(cycle, title="Un abri à vélos", body="Un abri **couvert** près du marché.")
    db.session.commit()
    return row


# --- Reporting ---------------------------------------------------------------------------------------------------

def test_report_form_shows_the_proposal_and_reasons(client, login_as, proposal):
    sign_in(login_as)
    response = client.get(f"/moderation/report/proposal/{proposal.id}", headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Report a proposal" in html and "Un abri à vélos" in html
    for label in ("spam", "insult", "personal data", "off-topic", "other"):
        assert f"> {label}</label>" in html or f">{label}</label>" in html
    assert html.count("<h1") == 1


def test_any_role_reports_a_proposal(client, db, login_as, proposal, any_role):
    user = sign_in(login_as, any_role)
    response = post(client, f"/moderation/report/proposal/{proposal.id}",
                    {"reason": "off_topic", "details": "Rien à voir avec le budget."})
    assert response.status_code == 302 and response.location.endswith(f"/proposals/{proposal.id}")
    [row] = db.session.scalars(select(Report)).all()
    assert (row.target_type, row.target_id, row.reason.value, row.reporter_id, row.details) == (
        "proposal", proposal.id, "off_topic", user.id, "Rien à voir avec le budget.")
    assert "Moderators will look at your report" in client.get(response.location, headers=EN).get_data(as_text=True)


def test_a_comment_is_reported_and_the_reader_returns_to_it(client, db, login_as, proposal):
    comment = make_comment(proposal, body="Des **insultes**.")
    db.session.commit()
    sign_in(login_as)
    page = client.get(f"/moderation/report/comment/{comment.id}", headers=EN).get_data(as_text=True)
    assert "Report a comment" in page and "<strong>insultes</strong>" in page and "Un abri à vélos" in page
    response = post(client, f"/moderation/report/comment/{comment.id}", {"reason": "insult"})
    assert response.location.endswith(f"/proposals/{proposal.id}#comment-{comment.id}")
    assert count(Report, Report.target_type == "comment", Report.target_id == comment.id) == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, db, proposal):
    for response in (client.get(f"/moderation/report/proposal/{proposal.id}"),
                     post(client, f"/moderation/report/proposal/{proposal.id}", {"reason": "spam"})):
        assert response.status_code == 302 and "/account/login" in response.location
    assert count(Report) == 0


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "Please choose a reason."),
    ({"reason": "rude"}, "Not a valid choice"),
    ({"reason": "other"}, "Please say what is wrong when you choose “other”."),
    ({"reason": "other", "details": "   "}, "Please say what is wrong when you choose “other”."),
    ({"reason": "spam", "details": "x" * 1001}, "Please keep the details under 1000 characters."),
])
def test_bad_reports_are_refused_with_a_message_and_change_nothing(client, login_as, proposal, fields, message):
    sign_in(login_as)
    response = post(client, f"/moderation/report/proposal/{proposal.id}", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "error-summary" in html
    assert count(Report) == 0


def test_a_report_without_csrf_token_is_refused(client, login_as, proposal):
    sign_in(login_as)
    response = client.post(f"/moderation/report/proposal/{proposal.id}", data={"reason": "spam"}, headers=EN)
    assert response.status_code == 400
    assert count(Report) == 0


def test_unknown_draft_hidden_or_held_targets_are_not_found(client, db, login_as, proposal):
    draft = make_proposal(proposal.cycle, status=ProposalStatus.DRAFT)
    hidden = make_proposal(proposal.cycle, hidden_at=clock.utcnow(), hidden_reason="spam")
    held = make_comment(proposal, visibility=Visibility.PENDING)
    deleted = make_comment(proposal, deleted_at=clock.utcnow())
    db.session.commit()
    author = db.session.get(User, draft.author_id)
    login(client, author)  # even the author of the draft cannot report it
    paths = [f"/moderation/report/proposal/{draft.id}", f"/moderation/report/proposal/{hidden.id}",
             f"/moderation/report/comment/{held.id}", f"/moderation/report/comment/{deleted.id}",
             "/moderation/report/proposal/999999", "/moderation/report/comment/999999",
             f"/moderation/report/user/{author.id}", f"/moderation/report/cycle/{proposal.cycle_id}"]
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert post(client, path, {"reason": "spam"}).status_code == 404, path
    assert count(Report) == 0


def test_a_second_report_says_it_was_already_reported(client, login_as, proposal):
    sign_in(login_as)
    path = f"/moderation/report/proposal/{proposal.id}"
    post(client, path, {"reason": "spam"})
    again = post(client, path, {"reason": "insult"})
    assert "You have already reported this" in followed(client, again)
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert "You have already reported this" in page and 'name="reason"' not in page
    assert count(Report) == 1


def test_reporting_ones_own_proposal_is_allowed(client, db, proposal):
    author = db.session.get(User, proposal.author_id)
    login(client, author)
    assert post(client, f"/moderation/report/proposal/{proposal.id}", {"reason": "personal_data"}).status_code == 302
    assert count(Report, Report.reporter_id == author.id) == 1


def test_reports_are_rate_limited_per_account(client, db, app, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTS_PER_HOUR", 2)
    cycle = make_cycle()
    proposals = [make_proposal(cycle) for _ in range(3)]
    db.session.commit()
    sign_in(login_as)
    for row in proposals[:2]:
        assert post(client, f"/moderation/report/proposal/{row.id}", {"reason": "spam"}).status_code == 302
    response = post(client, f"/moderation/report/proposal/{proposals[2].id}", {"reason": "spam"})
    assert response.status_code == 429
    assert "many reports in a short time" in response.get_data(as_text=True)
    assert count(Report) == 2


def test_the_proposal_page_links_to_the_report_form_for_signed_in_readers(client, login_as, proposal):
    link = f'href="/moderation/report/proposal/{proposal.id}"'
    assert link not in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    sign_in(login_as)
    html = client.get(f"/proposals/{proposal.id}", headers=EN).get_data(as_text=True)
    assert link in html and "Report this proposal" in html


# --- Suspended accounts ------------------------------------------------------------------------------------------

def test_a_suspended_account_reads_with_a_banner_but_cannot_write(client, db, login_as, proposal):
    user = sign_in(login_as, suspended_until=clock.utcnow() + timedelta(days=3))
    db.session.add(Suspension(user_id=user.id, ends_at=user.suspended_until, reason="Messages insultants répétés",
                              moderator_id=make_user(Role.MODERATOR).id))
    db.session.commit()
    for path in ("/", f"/proposals/{proposal.id}", "/proposals/"):
        html = client.get(path, headers=EN).get_data(as_text=True)
        assert "Your account is suspended until" in html and "Messages insultants répétés" in html, path
    page = client.get(f"/proposals/{proposal.id}", headers=EN).get_data(as_text=True)
    assert "Report this proposal" not in page

    report = post(client, f"/moderation/report/proposal/{proposal.id}", {"reason": "spam"})
    assert report.status_code == 403 and "suspended" in report.get_data(as_text=True)
    form = client.get(f"/moderation/report/proposal/{proposal.id}", headers=EN).get_data(as_text=True)
    assert "you cannot report content" in form and 'name="reason"' not in form

    path = f"/proposals/{proposal.id}"
    response = client.post(f"{path}/support", data={"csrf_token": csrf_token(client, path)})
    assert "suspended" in followed(client, response)
    assert count(Report) == 0 and count(Support) == 0


def test_a_suspended_account_cannot_submit_a_proposal(client, db, login_as, proposal):
    category = make_category()
    db.session.commit()
    sign_in(login_as, suspended_until=clock.utcnow() + timedelta(days=3))
    new = f"/proposals/new?cycle={proposal.cycle.slug}"
    response = client.post(new, headers=EN, data={
        "csrf_token": csrf_token(client, new), "title": "Un banc au parc", "category": str(category.id),
        "district": "0", "body": "Un banc pour se reposer au parc, à l'ombre des arbres.", "submit": "1"})
    assert response.status_code == 422 and "suspended" in response.get_data(as_text=True)
    assert count(Proposal) == 1


def test_no_banner_for_others(client, login_as, proposal):
    sign_in(login_as)
    assert "suspended" not in client.get("/", headers=EN).get_data(as_text=True)


# --- The queue ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", MODERATING)
def test_moderators_and_officials_see_the_queue_with_context(client, db, login_as, proposal, role):
    author = make_user(display_name="Auteur du commentaire")
    comment = make_comment(proposal, author=author, body="Vous êtes tous des *idiots*.")
    held = make_comment(proposal, body="Un mot interdit ici.", visibility=Visibility.PENDING)
    for name, reason, details in [("Alice", "insult", ""), ("Bruno", "insult", "Très blessant."),
                                  ("Chloé", "spam", "")]:
        db.session.add(Report(target_type="comment", target_id=comment.id, reason=reason, details=details,
                              reporter_id=make_user(display_name=name).id))
    db.session.add(Report(target_type="proposal", target_id=proposal.id, reason="off_topic",
                          reporter_id=make_user(display_name="Denis").id))
    db.session.commit()
    sign_in(login_as, role)
    response = client.get("/moderation/", headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count("<h1") == 1
    assert "3 items waiting for a decision" in html
    assert "Comment by Auteur du commentaire on “Un abri à vélos”" in html
    assert "<em>idiots</em>" in html and "Un mot interdit ici." in html
    assert "3 open reports" in html and "insult (2)" in html and "spam (1)" in html
    for name in ("Alice", "Bruno", "Chloé", "Denis"):
        assert name in html
    assert "Très blessant." in html
    assert "Proposal “Un abri à vélos”" in html and "Waiting for approval" in html
    assert f'/moderation/users/{author.id}/suspend' in html
    assert f'/moderation/comment/{held.id}/approve' in html and f'/moderation/comment/{comment.id}/hide' in html

    only_proposals = client.get("/moderation/?type=proposal", headers=EN).get_data(as_text=True)
    assert "1 item waiting for a decision" in only_proposals and "idiots" not in only_proposals
    assert "0 decided items" in client.get("/moderation/?status=decided", headers=EN).get_data(as_text=True)
    assert client.get("/moderation/?status=everything", headers=EN).status_code == 400


@pytest.mark.parametrize("role", NOT_MODERATING)
def test_other_roles_get_403_on_every_moderation_page(client, db, login_as, proposal, role):
    comment = make_comment(proposal)
    db.session.commit()
    sign_in(login_as, role)
    for path in ("/moderation/", "/moderation/words", "/moderation/suspensions",
                 f"/moderation/users/{comment.author_id}/suspend"):
        assert client.get(path).status_code == 403, path
    for path in (f"/moderation/comment/{comment.id}/hide", f"/moderation/proposal/{proposal.id}/hide",
                 "/moderation/words", f"/moderation/users/{comment.author_id}/suspend"):
        assert post(client, path, {"reason": "spam", "word": "idiot", "days": "3"}).status_code == 403, path
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).visibility == Visibility.VISIBLE
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    assert count(ForbiddenWord) == 0 and count(Suspension) == 0


def test_anonymous_visitors_go_to_sign_in_from_moderation_pages(client, db, proposal):
    for path in ("/moderation/", "/moderation/words", "/moderation/suspensions", "/moderation/users/1/suspend"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/login" in response.location, path
    response = client.post(f"/moderation/proposal/{proposal.id}/hide", data={"reason": "spam"})
    assert response.status_code in (302, 400)
    assert db.session.get(Proposal, proposal.id).hidden_at is None


def test_the_queue_pages(client, db, login_as, proposal):
    for _ in range(23):
        db.session.add(Report(target_type="comment", target_id=make_comment(proposal).id, reason="spam",
                              reporter_id=make_user().id))
    db.session.commit()
    sign_in(login_as, Role.MODERATOR)
    first = client.get("/moderation/", headers=EN).get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/moderation/?page=2", headers=EN).get_data(as_text=True)
    assert second.count('class="queue-item"') == 3 and 'rel="prev"' in second
    assert client.get("/moderation/?page=abc").status_code == 200


def test_no_payload_becomes_markup_on_the_queue(client, db, login_as, proposal):
    evil_proposal = make_proposal(proposal.cycle, title=PAYLOADS[2][:150], body="\n\n".join(PAYLOADS),
                                  author=make_user(display_name=PAYLOADS[1][:80]))
    for index, payload in enumerate(PAYLOADS):
        reporter = make_user(display_name=payload[:80])
        comment = make_comment(proposal, author=make_user(display_name=payload[:80]), body=payload)
        db.session.add(Report(target_type="comment", target_id=comment.id, reason="other", details=payload,
                              reporter_id=reporter.id))
        db.session.add(Report(target_type="proposal", target_id=evil_proposal.id, reason="other",
                              details=payload, reporter_id=make_user(display_name=PAYLOADS[index - 1][:80]).id))
    make_comment(proposal, body=PAYLOADS[0], visibility=Visibility.PENDING)
    db.session.commit()
    sign_in(login_as, Role.MODERATOR)
    for path in ("/moderation/", "/moderation/?page=2", "/moderation/?type=proposal"):
        html = client.get(path, headers=EN).get_data(as_text=True)
        assert injected_markup(html) == [], path
    html = client.get("/moderation/?type=proposal", headers=EN).get_data(as_text=True)
    assert "&lt;img src=x onerror=" in html  # shown as text, not as markup

    sign_in(login_as)
    for target in ("proposal", "comment"):
        target_id = evil_proposal.id if target == "proposal" else db.session.scalar(
            select(Comment.id).where(Comment.body == PAYLOADS[1]))
        html = client.get(f"/moderation/report/{target}/{target_id}", headers=EN).get_data(as_text=True)
        assert injected_markup(html) == [], target


# --- Decisions ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", MODERATING)
def test_hiding_a_reported_comment_from_the_queue(client, db, login_as, proposal, role):
    comment = make_comment(proposal)
    for _ in range(2):
        db.session.add(Report(target_type="comment", target_id=comment.id, reason="insult",
                              reporter_id=make_user().id))
    db.session.commit()
    moderator = sign_in(login_as, role)
    response = post(client, f"/moderation/comment/{comment.id}/hide",
                    {"reason": "insult", "next": "/moderation/?type=comment"})
    assert response.location.endswith("/moderation/?type=comment")
    assert "Readers now see “Hidden by moderation: insult”" in client.get(response.location, headers=EN).get_data(
        as_text=True)
    db.session.expire_all()
    hidden = db.session.get(Comment, comment.id)
    assert (hidden.visibility, hidden.moderation_reason) == (Visibility.HIDDEN, "insult")
    assert db.session.get(Proposal, proposal.id).comments_count == 0
    assert {(r.status, r.decided_by_id) for r in db.session.scalars(select(Report))} == {
        (ReportStatus.HIDDEN, moderator.id)}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "moderation.hidden"))
    assert (entry.target_type, entry.target_id, entry.actor_id) == ("comment", str(comment.id), moderator.id)


def test_hide_restore_and_dismiss_a_proposal(client, db, login_as, proposal):
    db.session.add(Report(target_type="proposal", target_id=proposal.id, reason="spam", reporter_id=make_user().id))
    db.session.commit()
    sign_in(login_as, Role.MODERATOR)
    post(client, f"/moderation/proposal/{proposal.id}/hide", {"reason": "spam"})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_reason == "spam"
    decided = client.get("/moderation/?status=decided", headers=EN).get_data(as_text=True)
    assert "Hidden by moderation: spam" in decided and f"/moderation/proposal/{proposal.id}/restore" in decided
    post(client, f"/moderation/proposal/{proposal.id}/restore")
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None

    db.session.add(Report(target_type="proposal", target_id=proposal.id, reason="spam", reporter_id=make_user().id))
    db.session.commit()
    response = post(client, f"/moderation/proposal/{proposal.id}/dismiss")
    assert "The reports are dismissed" in followed(client, response)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    assert count(Report, Report.status == ReportStatus.OPEN) == 0
    assert audit_actions() == ["moderation.hidden", "moderation.restored", "moderation.dismissed"]


def test_approving_and_rejecting_held_comments(client, db, login_as, proposal):
    held = make_comment(proposal, visibility=Visibility.PENDING)
    refused = make_comment(proposal, visibility=Visibility.PENDING)
    db.session.commit()
    sign_in(login_as, Role.OFFICIAL)
    assert "The comment is approved" in followed(client, post(client, f"/moderation/comment/{held.id}/approve"))
    post(client, f"/moderation/comment/{refused.id}/reject", {"reason": "insult"})
    db.session.expire_all()
    assert db.session.get(Comment, held.id).visibility == Visibility.VISIBLE
    assert (db.session.get(Comment, refused.id).visibility, db.session.get(Comment, refused.id).moderation_reason) \
        == (Visibility.HIDDEN, "insult")
    assert db.session.get(Proposal, proposal.id).comments_count == 1
    assert audit_actions() == ["moderation.approved", "moderation.rejected"]
    assert count(Notification, Notification.user_id == refused.author_id) == 1


def test_bad_decisions_are_refused_and_change_nothing(client, db, login_as, proposal):
    comment = make_comment(proposal)
    db.session.commit()
    sign_in(login_as, Role.MODERATOR)
    path = f"/moderation/comment/{comment.id}"
    assert client.post(f"{path}/hide", data={"reason": "spam"}).status_code == 400  # no CSRF token
    assert post(client, f"{path}/delete").status_code == 404
    assert post(client, f"/moderation/user/{comment.author_id}/hide", {"reason": "spam"}).status_code == 404
    assert "Please choose a reason from the list." in followed(client, post(client, f"{path}/hide",
                                                                            {"reason": "because"}))
    assert "not waiting for approval" in followed(client, post(client, f"{path}/approve"))
    assert "no open report" in followed(client, post(client, f"{path}/dismiss"))
    assert "no longer exists" in followed(client, post(client, "/moderation/comment/999999/hide",
                                                       {"reason": "spam"}))
    response = post(client, f"{path}/restore", {"next": "https://evil.example/"})
    assert response.location.endswith("/moderation/")  # never redirected off the site
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).visibility == Visibility.VISIBLE
    assert audit_actions() == []


# --- Hidden proposals --------------------------------------------------------------------------------------------

def test_a_hidden_proposal_shows_only_its_title_and_reason_to_the_public(client, db, login_as, proposal):
    proposal.hidden_at, proposal.hidden_reason = clock.utcnow(), "insult"
    make_comment(proposal, body="Un commentaire caché aussi.")
    db.session.commit()
    for viewer in (None, Role.RESIDENT, Role.AGENT, Role.TEACHER):
        if viewer:
            sign_in(login_as, viewer)
        response = client.get(f"/proposals/{proposal.id}", headers=EN)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Un abri à vélos" in html and "Hidden by moderation: insult" in html
        assert "couvert" not in html and "Un commentaire caché" not in html and "Report this proposal" not in html
    assert 'name="reason"' not in client.get(f"/moderation/report/proposal/{proposal.id}").get_data(as_text=True)


@pytest.mark.parametrize("role", MODERATING)
def test_moderators_see_a_hidden_proposal_with_a_banner_and_can_restore_it(client, db, login_as, proposal, role):
    proposal.hidden_at, proposal.hidden_reason = clock.utcnow(), "spam"
    db.session.commit()
    sign_in(login_as, role)
    html = client.get(f"/proposals/{proposal.id}", headers=EN).get_data(as_text=True)
    assert "<strong>couvert</strong>" in html and "Hidden by moderation: spam" in html
    assert "Only moderators and officials see its content" in html
    response = post(client, f"/moderation/proposal/{proposal.id}/restore", {"next": f"/proposals/{proposal.id}"})
    assert response.location.endswith(f"/proposals/{proposal.id}")
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None


# --- Suspensions -------------------------------------------------------------------------------------------------

def test_a_moderator_suspends_a_resident_from_the_queue_link(client, db, login_as):
    resident = make_user(display_name="Rémi", email="remi@example.org", locale="en")
    db.session.commit()
    moderator = sign_in(login_as, Role.MODERATOR)
    form = client.get(f"/moderation/users/{resident.id}/suspend", headers=EN).get_data(as_text=True)
    assert "Suspend Rémi" in form and "remi@example.org" not in form  # moderators do not need the address
    response = post(client, f"/moderation/users/{resident.id}/suspend", {"days": "14", "reason": "Spam répété"})
    assert response.location.endswith("/moderation/suspensions")
    listing = followed(client, response)
    assert "Rémi is suspended until" in listing and "Spam répété" in listing
    db.session.expire_all()
    [row] = db.session.scalars(select(Suspension)).all()
    assert (row.user_id, row.moderator_id, row.reason) == (resident.id, moderator.id, "Spam répété")
    assert db.session.get(User, resident.id).suspended_until is not None
    assert audit_actions() == ["account.suspended"]
    assert [m.subject for m in outbox_to("remi@example.org")] == ["Your account is suspended"]
    assert count(Notification, Notification.user_id == resident.id, Notification.kind == "suspension") == 1
    again = client.get(f"/moderation/users/{resident.id}/suspend", headers=EN).get_data(as_text=True)
    assert "already suspended" in again and 'name="days"' not in again

    post(client, f"/moderation/suspensions/{row.id}/lift")
    db.session.expire_all()
    assert db.session.get(User, resident.id).suspended_until is None
    assert audit_actions() == ["account.suspended", "account.suspension_lifted"]
    assert "No account is suspended." in client.get("/moderation/suspensions", headers=EN).get_data(as_text=True)


@pytest.mark.parametrize(("fields", "message"), [
    ({"days": "0", "reason": "Spam"}, "A suspension lasts from 1 to 365 days."),
    ({"days": "366", "reason": "Spam"}, "A suspension lasts from 1 to 365 days."),
    ({"days": "-3", "reason": "Spam"}, "A suspension lasts from 1 to 365 days."),
    ({"days": "deux", "reason": "Spam"}, "A suspension lasts from 1 to 365 days."),
    ({"days": "", "reason": "Spam"}, "Please give a number of days."),
    ({"days": "3", "reason": ""}, "Please give the reason for the suspension"),
    ({"days": "3", "reason": "x" * 1001}, "Please keep the reason under 1000 characters."),
])
def test_bad_suspensions_are_refused_with_a_message(client, db, login_as, fields, message):
    resident = make_user()
    db.session.commit()
    sign_in(login_as, Role.MODERATOR)
    response = post(client, f"/moderation/users/{resident.id}/suspend", fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(Suspension) == 0 and audit_actions() == []


@pytest.mark.parametrize(("actor", "target", "status"), [
    (Role.MODERATOR, Role.MODERATOR, 403),
    (Role.MODERATOR, Role.OFFICIAL, 403),
    (Role.OFFICIAL, Role.OFFICIAL, 403),
    (Role.OFFICIAL, Role.MODERATOR, 302),
    (Role.MODERATOR, Role.TEACHER, 302),
    (Role.MODERATOR, Role.AGENT, 302),
])
def test_who_may_suspend_whom_through_the_web(client, db, login_as, actor, target, status):
    user = make_user(target)
    db.session.commit()
    sign_in(login_as, actor)
    assert client.get(f"/moderation/users/{user.id}/suspend").status_code == (200 if status == 302 else 403)
    assert post(client, f"/moderation/users/{user.id}/suspend", {"days": "2", "reason": "Abus"}).status_code == status
    assert count(Suspension) == (1 if status == 302 else 0)


def test_suspending_oneself_or_an_unknown_account_is_refused(client, db, login_as):
    official = sign_in(login_as, Role.OFFICIAL)
    assert post(client, f"/moderation/users/{official.id}/suspend", {"days": "2", "reason": "x"}).status_code == 403
    assert client.get("/moderation/users/999999/suspend").status_code == 404


def test_a_moderator_cannot_lift_a_moderators_suspension(client, db, login_as):
    moderator = make_user(Role.MODERATOR)
    row = Suspension(user_id=moderator.id, ends_at=clock.utcnow() + timedelta(days=2), reason="Abus",
                     moderator_id=make_user(Role.OFFICIAL).id)
    moderator.suspended_until = row.ends_at
    db.session.add(row)
    db.session.commit()
    sign_in(login_as, Role.MODERATOR)
    assert f"/moderation/suspensions/{row.id}/lift" not in client.get("/moderation/suspensions").get_data(
        as_text=True)
    assert post(client, f"/moderation/suspensions/{row.id}/lift").status_code == 403
    assert post(client, "/moderation/suspensions/999999/lift").status_code == 404
    db.session.expire_all()
    assert db.session.get(User, moderator.id).suspended_until is not None


# --- Forbidden words ---------------------------------------------------------------------------------------------

def test_moderators_add_and_remove_forbidden_words(client, db, login_as):
    sign_in(login_as, Role.MODERATOR)
    response = post(client, "/moderation/words", {"word": "Crétin"})
    assert "“Crétin” is added" in followed(client, response)
    duplicate = post(client, "/moderation/words", {"word": "CRETINS"})
    assert duplicate.status_code == 422 and "“Crétin” is already in the list." in duplicate.get_data(as_text=True)
    too_long = post(client, "/moderation/words", {"word": "x" * 81})
    assert too_long.status_code == 422 and "at most 80 characters" in too_long.get_data(as_text=True)
    assert post(client, "/moderation/words", {"word": "  "}).status_code == 422
    assert client.post("/moderation/words", data={"word": "idiot"}).status_code == 400  # no CSRF token
    [row] = db.session.scalars(select(ForbiddenWord)).all()
    assert "“Crétin” is removed" in followed(client, post(client, f"/moderation/words/{row.id}/delete"))
    assert count(ForbiddenWord) == 0
    assert post(client, f"/moderation/words/{row.id}/delete").status_code == 404
    assert audit_actions() == ["moderation.word_added", "moderation.word_removed"]


def test_words_page_shows_payloads_as_text(client, db, login_as):
    for payload in PAYLOADS:
        db.session.add(ForbiddenWord(word=payload[:80]))
    db.session.commit()
    sign_in(login_as, Role.OFFICIAL)
    assert injected_markup(client.get("/moderation/words").get_data(as_text=True)) == []


def test_moderators_are_reminded_of_waiting_work_on_other_pages(client, db, login_as, proposal):
    db.session.add(Report(target_type="proposal", target_id=proposal.id, reason="spam", reporter_id=make_user().id))
    db.session.commit()
    sign_in(login_as, Role.MODERATOR)
    assert "1 item waits in the moderation queue" in client.get("/", headers=EN).get_data(as_text=True)
    sign_in(login_as, Role.RESIDENT)
    assert "moderation queue" not in client.get("/", headers=EN).get_data(as_text=True)
