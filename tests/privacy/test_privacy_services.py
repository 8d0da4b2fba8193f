"""Privacy services: choices and their effects, the data archive, account deletion and the purgers."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountToken, Role, TokenPurpose, User
from app.core import purge
from app.core.clock import utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry, Notification, OutboxMessage
from app.cycles.models import PhaseKind
from app.deliberation.models import Comment, Report, ReportReason
from app.privacy import services
from app.privacy.models import ConsentKind, ConsentRecord
from app.proposals.models import Coauthor, Follow, Proposal, ProposalStatus, Support
from app.voting import census
from app.voting import services as voting
from app.voting.models import Ballot, Participation
from tests.factories import PASSWORD, make_cycle, make_proposal, make_user
from tests.voting.conftest import make_census_entry, make_voting_city


@pytest.fixture
def ctx(app, db):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield db


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def add_comment(proposal, author, body="Bonne idée, je soutiens.") -> Comment:
    from app.extensions import db

    comment = Comment(proposal_id=proposal.id, author=author, body=body, body_html=f"<p>{body}</p>")
    db.session.add(comment)
    db.session.flush()
    return comment


def one_choice_each(city) -> dict:
    return {None: [str(city.city_items[0].id)], city.district.id: [str(city.district_items[0].id)]}


# --- choices ---------------------------------------------------------------------------------------------------------


def test_nothing_is_agreed_before_the_resident_answers(ctx):
    user = make_user()
    assert services.current_choices(user) == {}
    assert not any(services.has_consented(user, kind) for kind in ConsentKind)
    assert user.public_name == user.display_name  # the name given at registration as "name shown publicly"


def test_each_choice_is_recorded_with_its_text_version_and_can_be_withdrawn_keeping_history(ctx):
    user = make_user()
    services.set_choice(user, ConsentKind.CONTACT, True)
    services.set_choice(user, ConsentKind.NEWS, True)
    services.set_choice(user, ConsentKind.CONTACT, False)
    assert not services.has_consented(user, ConsentKind.CONTACT)
    assert services.has_consented(user, ConsentKind.NEWS)
    assert not services.has_consented(user, ConsentKind.RESEARCH)
    rows = services.history(user)
    assert [(r.kind, r.granted) for r in rows] == [(ConsentKind.CONTACT, False), (ConsentKind.NEWS, True),
                                                   (ConsentKind.CONTACT, True)]
    assert all(r.text_version == services.TEXT_VERSIONS[r.kind] and r.recorded_at for r in rows)


def test_a_pseudonym_is_generated_or_chosen_and_replaces_the_name(ctx):
    user = make_user(display_name="Camille Dupont")
    services.set_choice(user, ConsentKind.SHOW_NAME, False)
    generated = user.public_name
    assert generated != "Camille Dupont" and generated == user.pseudonym
    services.set_choice(user, ConsentKind.SHOW_NAME, False, pseudonym="Lilas du quartier")
    assert user.public_name == "Lilas du quartier"
    services.set_choice(user, ConsentKind.SHOW_NAME, True)
    assert user.public_name == "Camille Dupont"
    assert services.history(user)[1].detail == "Lilas du quartier"


@pytest.mark.parametrize("wanted", ["ab", "x" * 41, "<script>", "moi@exemple.fr", "Camille Dupont",
                                    "Former participant", "Autre Personne"])
def test_a_chosen_pseudonym_is_validated_and_nothing_is_written_when_refused(ctx, wanted):
    make_user(display_name="Autre Personne")
    user = make_user(display_name="Camille Dupont")
    with pytest.raises(ServiceError) as refused:
        services.set_choice(user, ConsentKind.SHOW_NAME, False, pseudonym=wanted)
    assert refused.value.field == "pseudonym"
    assert count(ctx, ConsentRecord) == 0 and user.public_name == "Camille Dupont"


def test_only_a_signed_in_holder_sets_choices(ctx):
    deleted = make_user(deleted_at=utcnow())
    with pytest.raises(NotAllowed):
        services.set_choice(deleted, ConsentKind.NEWS, True)


# --- effects ---------------------------------------------------------------------------------------------------------


def test_contact_choice_decides_whether_authors_get_project_news_by_email(ctx):
    from app.tracking.services import open_tracking, post_update

    official = make_user(Role.OFFICIAL)
    cycle = make_cycle(PhaseKind.IMPLEMENTATION)
    agreed, silent = make_user(email="agreed@example.org"), make_user(email="silent@example.org")
    services.set_choice(agreed, ConsentKind.CONTACT, True)
    for author in (agreed, silent):
        tracking = open_tracking(official, make_proposal(cycle, author, status=ProposalStatus.SELECTED))
        post_update(official, tracking, happened_on=date.today(), title="Travaux commencés")
    mails = {m.recipient for m in ctx.session.scalars(select(OutboxMessage))}
    assert "agreed@example.org" in mails and "silent@example.org" not in mails
    assert count(ctx, Notification, Notification.user_id == silent.id) == 1  # told in the app either way


def test_news_recipients_are_confirmed_accounts_that_said_yes(ctx):
    yes, no, unconfirmed = make_user(), make_user(), make_user(confirmed=False)
    services.set_choice(yes, ConsentKind.NEWS, True)
    services.set_choice(no, ConsentKind.NEWS, True)
    services.set_choice(no, ConsentKind.NEWS, False)
    services.set_choice(unconfirmed, ConsentKind.NEWS, True)
    assert services.news_recipients() == [yes]


def test_research_rows_hold_only_consenting_voters_district_age_and_channel(ctx):
    city = make_voting_city()
    other = make_user(district=city.district)
    make_census_entry("R1", city.district, birth_year=1990, user=city.voter)
    services.set_choice(city.voter, ConsentKind.RESEARCH, True)
    choices = one_choice_each(city)
    voting.cast(city.voter, city.cycle, choices)
    voting.cast(other, city.cycle, choices)  # did not agree: left out
    rows = services.research_rows(city.cycle)
    year = date.today().year
    assert rows == [{"district": "Wazemmes", "age_bracket": services.age_bracket(1990, year), "channel": "web",
                     "day": rows[0]["day"]}]
    assert set(rows[0]) == {"district", "age_bracket", "channel", "day"}


# --- download --------------------------------------------------------------------------------------------------------


def test_the_archive_holds_everything_about_the_holder_and_nothing_of_a_ballot(ctx):
    from app.callcenter.models import Call, Caller, CallOutcome

    city = make_voting_city()
    user = city.voter
    services.set_choice(user, ConsentKind.NEWS, True)
    proposal = make_proposal(city.cycle, user, title="Un banc place du marché")
    add_comment(proposal, user)
    ctx.session.add_all([Support(proposal_id=proposal.id, user_id=user.id),
                         Follow(proposal_id=proposal.id, user_id=user.id, by_email=True),
                         Notification(user_id=user.id, kind="x", message="Bonjour")])
    caller = Caller(name="Camille", phone="+33612345678", email=user.email.upper(), consent_agent_id=None)
    ctx.session.add(caller)
    ctx.session.flush()
    ctx.session.add(Call(outcome=CallOutcome.ATTACHED, caller_id=caller.id, complaint="Appel au sujet du banc"))
    voting.cast(user, city.cycle, one_choice_each(city))
    data = services.personal_data(user)
    assert data["account"]["email"] == user.email
    assert [c["choice"] for c in data["choices"]] == ["news"]
    assert data["proposals"][0]["title"] == "Un banc place du marché"
    assert data["comments"][0]["text"] == "Bonne idée, je soutiens."
    assert len(data["supports"]) == len(data["follows"]) == len(data["notifications"]) == 1
    assert data["call_center"][0]["calls"][0]["request"] == "Appel au sujet du banc"
    assert [(p["channel"]) for p in data["participation"]] == ["web"]
    text = repr(data)
    for ballot in ctx.session.scalars(select(Ballot)):
        assert ballot.id not in text and ballot.receipt_hash not in text
    assert str(city.city_items[0].id) not in [str(v) for p in data["participation"] for v in p.values()]


def test_a_download_link_works_once_only_for_its_holder_and_expires(ctx, monkeypatch):
    owner, other = make_user(), make_user()
    raw = services.prepare_download(owner)
    stored = ctx.session.scalar(select(AccountToken).where(AccountToken.user_id == owner.id))
    assert stored.purpose == TokenPurpose.EXPORT and raw not in stored.token_hash
    with pytest.raises(NotAllowed):
        services.take_download(other, raw)
    assert services.take_download(owner, raw)["account"]["id"] == owner.id  # still usable after the refusal
    with pytest.raises(ServiceError, match="already been used"):
        services.take_download(owner, raw)
    late = services.prepare_download(owner)
    moment = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr("app.core.clock._now", lambda: moment)
    with pytest.raises(ServiceError, match="expired"):
        services.take_download(owner, late)


# --- deletion --------------------------------------------------------------------------------------------------------


def test_deletion_needs_the_password_and_writes_nothing_otherwise(ctx):
    user = make_user()
    with pytest.raises(ServiceError) as refused:
        services.delete_account(user, "wrong password")
    assert refused.value.field == "password" and user.deleted_at is None


def test_the_only_official_cannot_delete_their_account(ctx):
    official = make_user(Role.OFFICIAL)
    assert count(ctx, User, User.role == Role.OFFICIAL) == 1  # every test's data is rolled back
    with pytest.raises(ServiceError, match="only city official"):
        services.delete_account(official, PASSWORD)
    assert not official.deleted
    make_user(Role.OFFICIAL)
    services.delete_account(official, PASSWORD)
    assert official.deleted


def test_deletion_erases_personal_data_and_keeps_content_as_former_participant(ctx):
    user = make_user(display_name="Camille Dupont", email="camille@example.org")
    services.set_choice(user, ConsentKind.SHOW_NAME, False, pseudonym="Lilas")
    proposal = make_proposal(author=user, status=ProposalStatus.FEASIBLE, title="Des arbres rue Solférino")
    draft = make_proposal(proposal.cycle, user, status=ProposalStatus.DRAFT)
    draft_id = draft.id
    comment = add_comment(make_proposal(proposal.cycle), user)
    ctx.session.add_all([Support(proposal_id=proposal.id, user_id=user.id),
                         Follow(proposal_id=proposal.id, user_id=user.id)])
    ctx.session.add(OutboxMessage(recipient="camille@example.org", subject="Bonjour Camille", body="..."))
    ctx.session.add_all([Report(target_type="proposal", target_id=proposal.id, reporter_id=user.id,
                                reason=ReportReason.SPAM),
                         Coauthor(proposal_id=proposal.id, user_id=user.id)])
    from app.core import audit
    audit.record(user, "account.password_changed", user)
    services.prepare_download(user)
    user_id = user.id
    services.delete_account(user, PASSWORD)

    row = ctx.session.get(User, user_id)
    assert row.deleted and row.public_name == "Former participant"
    assert "Camille" not in repr((row.email, row.display_name, row.pseudonym))
    assert ctx.session.get(Proposal, proposal.id).author_id is None  # stays, signed "former participant"
    assert ctx.session.get(Proposal, draft_id) is None  # a draft nobody saw is deleted
    kept = ctx.session.get(Comment, comment.id)
    assert kept.author_id is None and kept.body  # stays, unsigned
    assert count(ctx, Support, Support.user_id == user_id) == 1  # still counted
    for model in (Follow, ConsentRecord, AccountToken, Coauthor):
        assert count(ctx, model, model.user_id == user_id) == 0
    assert count(ctx, Report, Report.reporter_id == user_id) == 0 and count(ctx, Report) == 1
    assert count(ctx, OutboxMessage, OutboxMessage.recipient == "camille@example.org") == 0
    labels = " ".join(ctx.session.scalars(select(AuditEntry.actor_label)))
    details = " ".join(ctx.session.scalars(select(AuditEntry.details)))
    assert "Camille" not in labels + details and "camille@example.org" not in labels + details
    assert ctx.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.deleted")) is not None


def test_deleted_accounts_cannot_sign_in(ctx):
    from app.accounts.services import authenticate

    user = make_user(email="gone@example.org")
    services.delete_account(user, PASSWORD)
    assert authenticate("gone@example.org", PASSWORD) is None
    assert authenticate(user.email, PASSWORD) is None


def test_on_request_comments_go_and_unreviewed_proposals_are_withdrawn_but_reviewed_ones_stay(ctx):
    user = make_user()
    submitted = make_proposal(author=user, status=ProposalStatus.SUBMITTED)
    on_ballot = make_proposal(submitted.cycle, user, status=ProposalStatus.FEASIBLE)
    comment = add_comment(on_ballot, user)
    services.delete_account(user, PASSWORD, remove_content=True)
    assert ctx.session.get(Proposal, submitted.id).status == ProposalStatus.WITHDRAWN
    assert ctx.session.get(Proposal, on_ballot.id).status == ProposalStatus.FEASIBLE
    gone = ctx.session.get(Comment, comment.id)
    assert gone.deleted_at is not None and gone.body == ""


def test_after_deletion_the_ballot_is_untouched_and_the_register_still_blocks_a_second_vote(ctx):
    city = make_voting_city()
    entry = make_census_entry("V1", city.district)
    census.bind_census(city.voter, "V1")
    choices = one_choice_each(city)
    voting.cast(city.voter, city.cycle, choices)
    ballots_before = sorted((b.id, b.receipt_hash) for b in ctx.session.scalars(select(Ballot)))
    services.delete_account(city.voter, PASSWORD)
    assert sorted((b.id, b.receipt_hash) for b in ctx.session.scalars(select(Ballot))) == ballots_before
    assert count(ctx, Participation, Participation.cycle_id == city.cycle.id) == 1
    # The same person opens a new account and proves who they are with the census: the register remembers.
    again = make_user(district=city.district)
    census.bind_census(again, "V1")
    assert ctx.session.get(type(entry), entry.id).user_id == again.id
    with pytest.raises(ServiceError, match="already voted"):
        voting.cast(again, city.cycle, choices)
    assert count(ctx, Participation, Participation.cycle_id == city.cycle.id) == 1


def test_a_deleted_account_cannot_vote_again(ctx):
    city = make_voting_city()
    choices = one_choice_each(city)
    voting.cast(city.voter, city.cycle, choices)
    services.delete_account(city.voter, PASSWORD)
    with pytest.raises(ServiceError):
        voting.cast(city.voter, city.cycle, choices)
    assert count(ctx, Participation, Participation.cycle_id == city.cycle.id) == 1


# --- purge -----------------------------------------------------------------------------------------------------------


def test_privacy_purgers_are_registered(app):
    names = {p.name for p in purge.purgers()}
    assert {"unconfirmed_accounts", "account_tokens", "outbox", "notifications", "address_hashes",
            "audit_log"} <= names


def test_purge_erases_what_is_past_its_retention_and_keeps_the_rest(ctx, app):
    now = utcnow()
    old, recent = now - timedelta(days=400), now - timedelta(days=1)
    stale = make_user(confirmed=False, created_at=old, email="stale@example.org")
    fresh = make_user(confirmed=False, created_at=recent)
    confirmed = make_user(created_at=old)
    ctx.session.add_all([
        AccountToken(user_id=confirmed.id, purpose="reset", token_hash="a" * 64, expires_at=now - timedelta(hours=1)),
        AccountToken(user_id=confirmed.id, purpose="reset", token_hash="b" * 64, expires_at=now + timedelta(hours=1)),
        OutboxMessage(recipient="x@example.org", subject="s", body="b", status="sent", created_at=old),
        OutboxMessage(recipient="y@example.org", subject="s", body="b", status="pending", created_at=old),
        Notification(user_id=confirmed.id, kind="k", message="m", created_at=old, read_at=old),
        Notification(user_id=confirmed.id, kind="k", message="m", created_at=old),  # unread: kept
        AuditEntry(action="old.thing", created_at=old),
        AuditEntry(action="new.thing", created_at=recent),
    ])
    proposal = make_proposal(author=confirmed)
    old_comment = add_comment(proposal, confirmed)
    old_comment.ip_hash, old_comment.created_at = "f" * 64, old
    new_comment = add_comment(proposal, confirmed, body="Un autre avis")
    new_comment.ip_hash = "e" * 64
    ctx.session.flush()
    report = {p.name: n for p, n in purge.purge_all(now) if p.name in {
        "unconfirmed_accounts", "account_tokens", "outbox", "notifications", "address_hashes", "audit_log"}}
    assert report["unconfirmed_accounts"] >= 1 and report["account_tokens"] >= 1
    ctx.session.expire_all()
    assert ctx.session.get(User, stale.id).deleted and not ctx.session.get(User, fresh.id).deleted
    assert not ctx.session.get(User, confirmed.id).deleted
    assert count(ctx, AccountToken, AccountToken.user_id == confirmed.id) == 1
    assert {m.recipient for m in ctx.session.scalars(select(OutboxMessage))} >= {"y@example.org"}
    assert count(ctx, OutboxMessage, OutboxMessage.recipient == "x@example.org") == 0
    assert count(ctx, Notification, Notification.user_id == confirmed.id) == 1
    assert count(ctx, AuditEntry, AuditEntry.action == "old.thing") == 0
    assert count(ctx, AuditEntry, AuditEntry.action == "new.thing") == 1
    assert ctx.session.get(Comment, old_comment.id).ip_hash == ""
    assert ctx.session.get(Comment, new_comment.id).ip_hash == "e" * 64


def test_purge_command_reports_what_it_erased(app, db):
    result = app.test_cli_runner().invoke(args=["pb", "purge"])
    assert result.exit_code == 0, result.output
    for label in ("Unconfirmed accounts erased", "Expired links deleted", "Audit log entries deleted"):
        assert label in result.output


def test_the_privacy_page_states_the_configured_retention(ctx, app):
    app.config["AUDIT_RETENTION_MONTHS"] = 7
    try:
        assert any("7 months" in kind.kept for kind in services.data_register())
    finally:
        app.config["AUDIT_RETENTION_MONTHS"] = 12


def test_cli_lists_news_recipients_and_exports_research_rows(app, db):
    yes = make_user(email="nouvelles@example.org")
    make_user(email="silence@example.org")
    city = make_voting_city()
    with app.test_request_context("/"):
        services.set_choice(yes, ConsentKind.NEWS, True)
        services.set_choice(city.voter, ConsentKind.RESEARCH, True)
        voting.cast(city.voter, city.cycle, one_choice_each(city))
    db.session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["pb", "news-recipients"])
    assert listed.exit_code == 0 and listed.output.split() == ["nouvelles@example.org"]
    exported = runner.invoke(args=["pb", "research-export", city.cycle.slug])
    assert exported.exit_code == 0
    assert exported.output.splitlines()[0] == "district,age_bracket,channel,day"
    assert exported.output.splitlines()[1].startswith("Wazemmes,,web,")
    assert runner.invoke(args=["pb", "research-export", "no-such-cycle"]).exit_code != 0
