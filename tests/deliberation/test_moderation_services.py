"""Moderation services against the database: reports, decisions, held comments, suspensions, forbidden words."""

from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import Role
from app.accounts.services import ensure_can_write
from app.core import clock
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry, Notification, OutboxMessage
from app.core.rendering import render_markdown
from app.cycles.models import PhaseKind
from app.deliberation import moderation
from app.deliberation.models import Comment, ForbiddenWord, Report, ReportStatus, Suspension, Visibility
from app.extensions import db as _db
from app.proposals import services as proposal_services
from app.proposals.models import ProposalStatus
from app.proposals.search import listing
from tests.factories import make_cycle, make_proposal, make_user


@pytest.fixture
def ctx(app, db):
    """Notifications and emails are rendered in a request context (translations, absolute links)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield db


def make_comment(proposal, author=None, body="Un avis sur cette idée.", visibility=Visibility.VISIBLE, **values):
    comment = Comment(proposal_id=proposal.id, author=author or make_user(), body=body,
                      body_html=render_markdown(body), visibility=visibility, **values)
    _db.session.add(comment)
    _db.session.flush()
    if visibility == Visibility.VISIBLE and comment.deleted_at is None:
        proposal.comments_count += 1
        _db.session.flush()
    return comment


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def open_reports(db, target_type: str, target_id: int) -> list[Report]:
    return list(db.session.scalars(select(Report).where(
        Report.target_type == target_type, Report.target_id == target_id, Report.status == ReportStatus.OPEN)))


def notifications_of(db, user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


# --- Forbidden words and holding ---------------------------------------------------------------------------------

def test_holds_for_moderation_matches_whole_words_whatever_the_case_accents_and_plural(ctx):
    db = ctx
    assert moderation.holds_for_moderation("Quel crétin !") is False  # nothing forbidden yet
    db.session.add_all([ForbiddenWord(word="crétin"), ForbiddenWord(word="Va te faire")])
    db.session.flush()
    assert moderation.holds_for_moderation("Quel CRETIN !")
    assert moderation.holds_for_moderation("Bande de crétins.")
    assert moderation.holds_for_moderation("Allez, va te FAIRE voir")
    assert not moderation.holds_for_moderation("Une crétinerie ? non : du crétinisme.")  # whole words only
    assert not moderation.holds_for_moderation("Va, te dis-je, et faire la fête")  # a phrase keeps its order
    assert not moderation.holds_for_moderation("")


def test_report_counts_counts_open_reports_only_with_zero_for_the_others(ctx):
    proposal = make_proposal()
    comments = [make_comment(proposal) for _ in range(3)]
    for reporter in (make_user(), make_user()):
        moderation.report(reporter, comments[0], "spam")
    moderation.report(make_user(), comments[1], "insult")
    moderation.report(make_user(), proposal, "spam")
    moderation.dismiss(make_user(Role.MODERATOR), "comment", comments[1].id)
    counts = moderation.report_counts("comment", [c.id for c in comments])
    assert counts == {comments[0].id: 2, comments[1].id: 0, comments[2].id: 0}
    assert moderation.report_counts("proposal", [proposal.id]) == {proposal.id: 1}
    assert moderation.report_counts("comment", []) == {}


def test_moderators_add_and_remove_forbidden_words_with_an_audit_trail(ctx):
    db = ctx
    moderator = make_user(Role.MODERATOR)
    row = moderation.add_forbidden_word(moderator, "  Crétin   fini ")
    assert row.word == "Crétin fini"
    [added] = audit_entries(db, "moderation.word_added")
    assert added.actor_id == moderator.id and "Crétin fini" in added.details
    moderation.remove_forbidden_word(moderator, row)
    assert db.session.scalar(select(func.count()).select_from(ForbiddenWord)) == 0
    assert len(audit_entries(db, "moderation.word_removed")) == 1


@pytest.mark.parametrize(("word", "message"), [
    ("", "Please enter a word"),
    ("   ", "Please enter a word"),
    ("x" * 81, "at most 80 characters"),
    ("de la", "too common"),
    ("CRETINS", "already in the list"),
    ("crétin", "already in the list"),
])
def test_bad_forbidden_words_are_refused(ctx, word, message):
    db = ctx
    moderator = make_user(Role.MODERATOR)
    moderation.add_forbidden_word(moderator, "Crétin")
    with pytest.raises(ServiceError) as error:
        moderation.add_forbidden_word(moderator, word)
    assert message in str(error.value.message)
    assert db.session.scalar(select(func.count()).select_from(ForbiddenWord)) == 1


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.AGENT, Role.TEACHER])
def test_only_moderators_and_officials_manage_words(ctx, role):
    with pytest.raises(NotAllowed):
        moderation.add_forbidden_word(make_user(role), "crétin")
    moderation.add_forbidden_word(make_user(Role.OFFICIAL), "crétin")


# --- Reports -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role))
def test_anyone_signed_in_reports_a_comment_or_a_proposal(ctx, role):
    proposal = make_proposal()
    comment = make_comment(proposal)
    reporter = make_user(role)
    row = moderation.report(reporter, comment, "insult", "  Il insulte les voisins.  ")
    assert (row.target_type, row.target_id, row.reason.value, row.details) == (
        "comment", comment.id, "insult", "Il insulte les voisins.")
    assert row.status == ReportStatus.OPEN and row.reporter_id == reporter.id
    assert moderation.report(reporter, proposal, "spam").target_type == "proposal"


@pytest.mark.parametrize(("reason", "details", "message"), [
    ("rude", "", "choose a reason"),
    ("", "", "choose a reason"),
    ("other", "", "say what is wrong"),
    ("other", "   ", "say what is wrong"),
    ("spam", "x" * 1001, "under 1000 characters"),
])
def test_bad_reports_are_refused_and_change_nothing(ctx, reason, details, message):
    db = ctx
    proposal = make_proposal()
    with pytest.raises(ServiceError) as error:
        moderation.report(make_user(), proposal, reason, details)
    assert message in str(error.value.message)
    assert open_reports(db, "proposal", proposal.id) == []


def test_details_of_exactly_1000_characters_are_accepted(ctx):
    assert len(moderation.report(make_user(), make_proposal(), "other", "x" * 1000).details) == 1000


def test_one_open_report_per_person_and_target_then_again_after_a_decision(ctx):
    db = ctx
    proposal = make_proposal()
    reporter = make_user()
    moderation.report(reporter, proposal, "spam")
    with pytest.raises(moderation.AlreadyReported):
        moderation.report(reporter, proposal, "insult")
    assert len(open_reports(db, "proposal", proposal.id)) == 1
    moderation.report(make_user(), proposal, "spam")  # someone else may
    moderation.dismiss(make_user(Role.MODERATOR), "proposal", proposal.id)
    moderation.report(reporter, proposal, "off_topic")  # a new report after the first was decided
    assert len(open_reports(db, "proposal", proposal.id)) == 1


def test_reporting_ones_own_content_is_allowed(ctx):
    """Someone who posted personal data by mistake can ask moderators to hide it."""
    author = make_user()
    proposal = make_proposal(author=author)
    comment = make_comment(proposal, author=author)
    assert moderation.report(author, comment, "personal_data").reporter_id == author.id
    assert moderation.report(author, proposal, "personal_data").reporter_id == author.id


def test_reports_are_rate_limited_per_account(ctx, app, monkeypatch):
    db = ctx
    monkeypatch.setitem(app.config, "REPORTS_PER_HOUR", 3)
    reporter = make_user()
    proposals = [make_proposal() for _ in range(5)]
    for proposal in proposals[:3]:
        moderation.report(reporter, proposal, "spam")
    with pytest.raises(moderation.RateLimited):
        moderation.report(reporter, proposals[3], "spam")
    moderation.report(make_user(), proposals[3], "spam")  # others are not limited by this account
    later = clock.utcnow() + timedelta(hours=1, minutes=1)
    with mock.patch.object(clock, "_now", return_value=later):
        moderation.report(reporter, proposals[4], "spam")
    assert db.session.scalar(select(func.count()).select_from(Report).where(Report.reporter_id == reporter.id)) == 4


def test_a_suspended_account_cannot_report(ctx):
    db = ctx
    reporter = make_user(suspended_until=clock.utcnow() + timedelta(days=2))
    proposal = make_proposal()
    with pytest.raises(NotAllowed):
        moderation.report(reporter, proposal, "spam")
    assert open_reports(db, "proposal", proposal.id) == []


def test_only_public_shown_content_is_reportable(ctx):
    cycle = make_cycle()
    public = make_proposal(cycle)
    draft = make_proposal(cycle, status=ProposalStatus.DRAFT)
    hidden = make_proposal(cycle, hidden_at=clock.utcnow(), hidden_reason="spam")
    shown = make_comment(public)
    pending = make_comment(public, visibility=Visibility.PENDING)
    removed = make_comment(public, visibility=Visibility.HIDDEN, moderation_reason="spam")
    deleted = make_comment(public, deleted_at=clock.utcnow())
    on_hidden = make_comment(hidden)
    on_draft = make_comment(draft)
    assert moderation.reportable_target("proposal", public.id) is public
    assert moderation.reportable_target("comment", shown.id) is shown
    for kind, target in [("proposal", draft), ("proposal", hidden), ("comment", pending), ("comment", removed),
                         ("comment", deleted), ("comment", on_hidden), ("comment", on_draft)]:
        assert moderation.reportable_target(kind, target.id) is None, (kind, target.id)
    assert moderation.reportable_target("proposal", 987654) is None
    assert moderation.reportable_target("user", public.author_id) is None


# --- Decisions ---------------------------------------------------------------------------------------------------

def test_hiding_a_comment_closes_its_reports_counts_and_audits(ctx):
    db = ctx
    moderator = make_user(Role.MODERATOR)
    proposal = make_proposal()
    comment = make_comment(proposal, author=make_user(locale="en"))
    other = make_comment(proposal)
    for reporter in (make_user(), make_user()):
        moderation.report(reporter, comment, "insult")
    moderation.report(make_user(), other, "spam")
    assert proposal.comments_count == 2
    assert moderation.hide(moderator, comment, "insult") == 2
    assert comment.visibility == Visibility.HIDDEN and comment.moderation_reason == "insult"
    assert proposal.comments_count == 1
    reports = db.session.scalars(select(Report).where(Report.target_id == comment.id,
                                                      Report.target_type == "comment")).all()
    assert {(r.status, r.decided_by_id) for r in reports} == {(ReportStatus.HIDDEN, moderator.id)}
    assert all(r.decided_at is not None for r in reports)
    assert len(open_reports(db, "comment", other.id)) == 1  # another target's report stays open
    [entry] = audit_entries(db, "moderation.hidden")
    assert (entry.target_type, entry.target_id, entry.actor_id) == ("comment", str(comment.id), moderator.id)
    assert '"reason": "insult"' in entry.details
    [told] = notifications_of(db, comment.author)
    assert "Hidden by moderation: insult" in told.message
    assert moderation.hidden_label(comment.moderation_reason) == "Hidden by moderation: insult"


def test_hiding_a_proposal_takes_it_out_of_listings_and_restoring_brings_it_back(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    cycle = make_cycle(PhaseKind.SUBMISSION)
    proposal = make_proposal(cycle, title="Des bancs")
    moderation.report(make_user(), proposal, "off_topic")
    moderation.hide(official, proposal, "off_topic")
    assert proposal.hidden_at is not None and proposal.hidden_reason == "off_topic"
    assert listing(db.session, cycle_id=cycle.id).items == []
    assert open_reports(db, "proposal", proposal.id) == []
    with pytest.raises(ServiceError):
        moderation.hide(official, proposal, "spam")  # already hidden
    moderation.restore(official, proposal)
    assert proposal.hidden_at is None and proposal.hidden_reason == ""
    assert [p.id for p in listing(db.session, cycle_id=cycle.id).items] == [proposal.id]
    [entry] = audit_entries(db, "moderation.restored")
    assert (entry.target_type, entry.target_id) == ("proposal", str(proposal.id))
    with pytest.raises(ServiceError):
        moderation.restore(official, proposal)  # not hidden any more


def test_restoring_a_comment_counts_it_again(ctx):
    moderator = make_user(Role.MODERATOR)
    proposal = make_proposal()
    comment = make_comment(proposal)
    moderation.hide(moderator, comment, "spam")
    assert proposal.comments_count == 0
    moderation.restore(moderator, comment)
    assert comment.visibility == Visibility.VISIBLE and comment.moderation_reason == ""
    assert proposal.comments_count == 1


def test_dismissing_closes_the_reports_and_leaves_the_content(ctx):
    db = ctx
    moderator = make_user(Role.MODERATOR)
    proposal = make_proposal()
    comment = make_comment(proposal)
    moderation.report(make_user(), comment, "spam")
    assert moderation.dismiss(moderator, "comment", comment.id) == 1
    assert comment.visibility == Visibility.VISIBLE and proposal.comments_count == 1
    [row] = db.session.scalars(select(Report).where(Report.target_id == comment.id)).all()
    assert (row.status, row.decided_by_id) == (ReportStatus.DISMISSED, moderator.id)
    assert len(audit_entries(db, "moderation.dismissed")) == 1
    with pytest.raises(ServiceError):
        moderation.dismiss(moderator, "comment", comment.id)  # nothing open any more
    with pytest.raises(ServiceError):
        moderation.dismiss(moderator, "user", comment.id)


def test_reports_on_content_that_no_longer_exists_can_be_dismissed(ctx):
    db = ctx
    db.session.add(Report(target_type="comment", target_id=424242, reporter_id=make_user().id, reason="spam"))
    db.session.flush()
    assert moderation.dismiss(make_user(Role.MODERATOR), "comment", 424242) == 1
    with pytest.raises(ServiceError):
        moderation.decide(make_user(Role.MODERATOR), "comment", 424242, "hide", "spam")


def test_approving_and_rejecting_held_comments(ctx):
    db = ctx
    moderator = make_user(Role.MODERATOR)
    proposal = make_proposal()
    held = make_comment(proposal, visibility=Visibility.PENDING)
    refused = make_comment(proposal, visibility=Visibility.PENDING)
    assert proposal.comments_count == 0
    moderation.approve(moderator, held)
    assert held.visibility == Visibility.VISIBLE and proposal.comments_count == 1
    moderation.reject(moderator, refused, "insult")
    assert refused.visibility == Visibility.HIDDEN and refused.moderation_reason == "insult"
    assert proposal.comments_count == 1
    assert len(audit_entries(db, "moderation.approved")) == 1
    assert len(audit_entries(db, "moderation.rejected")) == 1
    with pytest.raises(ServiceError):
        moderation.approve(moderator, held)  # not pending any more
    with pytest.raises(ServiceError):
        moderation.hide(moderator, make_comment(proposal, visibility=Visibility.PENDING), "spam")


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.AGENT, Role.TEACHER])
def test_other_roles_take_no_decision(ctx, role):
    db = ctx
    actor = make_user(role)
    proposal = make_proposal()
    comment = make_comment(proposal)
    held = make_comment(proposal, visibility=Visibility.PENDING)
    moderation.report(make_user(), comment, "spam")
    for decision, target, reason in [("hide", comment, "spam"), ("dismiss", comment, None),
                                     ("approve", held, None), ("reject", held, "spam"), ("hide", proposal, "spam")]:
        with pytest.raises(NotAllowed):
            moderation.decide(actor, moderation.target_type_of(target), target.id, decision, reason)
    assert comment.visibility == Visibility.VISIBLE and held.visibility == Visibility.PENDING
    assert proposal.hidden_at is None and len(open_reports(db, "comment", comment.id)) == 1


def test_hiding_needs_a_known_reason(ctx):
    comment = make_comment(make_proposal())
    with pytest.raises(ServiceError):
        moderation.hide(make_user(Role.MODERATOR), comment, "because")
    with pytest.raises(ServiceError):
        moderation.hide(make_user(Role.MODERATOR), comment, None)
    assert comment.visibility == Visibility.VISIBLE


# --- The queue ---------------------------------------------------------------------------------------------------

def test_queue_groups_reports_by_target_with_held_comments(ctx):
    moderator = make_user(Role.MODERATOR)
    proposal = make_proposal()
    comment = make_comment(proposal)
    held = make_comment(proposal, visibility=Visibility.PENDING)
    quiet = make_comment(proposal)
    for reason in ("insult", "insult", "spam"):
        moderation.report(make_user(), comment, reason)
    moderation.report(make_user(), proposal, "off_topic")
    page = moderation.queue()
    assert page.total == 3
    items = {(i.target_type, i.target_id): i for i in page.items}
    assert set(items) == {("comment", comment.id), ("comment", held.id), ("proposal", proposal.id)}
    assert ("comment", quiet.id) not in items
    reported = items[("comment", comment.id)]
    assert reported.open_count == 3 and reported.reason_counts == [("insult", 2), ("spam", 1)]
    assert reported.top_reason == "insult" and reported.proposal is proposal
    assert items[("comment", held.id)].pending and items[("comment", held.id)].reports == []
    assert [i.target_type for i in moderation.queue(target_type="proposal").items] == ["proposal"]
    assert {i.target_id for i in moderation.queue(target_type="comment").items} == {comment.id, held.id}

    moderation.hide(moderator, comment, "insult")
    moderation.dismiss(moderator, "proposal", proposal.id)
    assert [(i.target_type, i.target_id) for i in moderation.queue().items] == [("comment", held.id)]
    decided = moderation.queue(status="decided")
    assert {(i.target_type, i.target_id) for i in decided.items} == {("comment", comment.id),
                                                                     ("proposal", proposal.id)}
    assert all(r.status != ReportStatus.OPEN for i in decided.items for r in i.reports)
    assert moderation.waiting_count() == 1


def test_queue_pages_and_bounded_queries(ctx, app):
    proposal = make_proposal()
    for _ in range(25):
        moderation.report(make_user(), make_comment(proposal), "spam")
    first = moderation.queue(per_page=10)
    assert (first.total, first.pages, len(first.items), first.has_next, first.has_prev) == (25, 3, 10, True, False)
    last = moderation.queue(page=3, per_page=10)
    assert len(last.items) == 5 and not last.has_next and last.prev_num == 2
    assert not {i.target_id for i in first.items} & {i.target_id for i in last.items}

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        _db.session.expire_all()
        page = moderation.queue(per_page=20)
        for item in page.items:  # what the template reads
            _ = (item.target.author and item.target.author.display_name, item.proposal.title,
                 [r.reporter.display_name for r in item.reports])
    finally:
        event.remove(_db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 5, "\n\n".join(s[:150] for s in statements)


# --- Suspensions -------------------------------------------------------------------------------------------------

def test_a_moderator_suspends_a_resident_who_can_then_read_but_not_write(ctx):
    db = ctx
    moderator = make_user(Role.MODERATOR)
    resident = make_user(email="suspendue@example.org", locale="en")
    row = moderation.suspend(moderator, resident, 7, "  Insultes répétées.  ")
    assert row.reason == "Insultes répétées." and row.moderator_id == moderator.id
    assert clock.as_utc(resident.suspended_until) == clock.as_utc(row.ends_at)
    assert timedelta(days=7) - timedelta(minutes=1) < clock.as_utc(row.ends_at) - clock.utcnow() <= timedelta(days=7)
    [entry] = audit_entries(db, "account.suspended")
    assert (entry.target_type, entry.target_id, entry.actor_id) == ("user", str(resident.id), moderator.id)
    assert '"days": 7' in entry.details
    [told] = notifications_of(db, resident)
    assert "suspended until" in told.message and "Insultes répétées." in told.message
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "suspendue@example.org"))
    assert mail.subject == "Your account is suspended"
    assert moderation.active_suspension(resident) is row

    with pytest.raises(NotAllowed):
        ensure_can_write(resident)
    cycle = make_cycle(PhaseKind.SUBMISSION)
    with pytest.raises(NotAllowed):
        proposal_services.save_proposal(resident, cycle, {"title": "Un banc", "body": "Un banc au parc."},
                                        submit=True)
    with pytest.raises(NotAllowed):
        proposal_services.support(resident, make_proposal(cycle))
    with pytest.raises(NotAllowed):
        moderation.report(resident, make_proposal(cycle), "spam")
    with pytest.raises(ServiceError):
        moderation.suspend(moderator, resident, 3, "Encore")  # already suspended

    later = clock.utcnow() + timedelta(days=7, minutes=1)
    with mock.patch.object(clock, "_now", return_value=later):
        ensure_can_write(resident)  # the suspension has run out
        assert moderation.active_suspension(resident) is None


def test_lifting_a_suspension_early(ctx):
    db = ctx
    moderator = make_user(Role.MODERATOR)
    resident = make_user()
    row = moderation.suspend(moderator, resident, 30, "Spam")
    moderation.lift(make_user(Role.MODERATOR), row)
    assert row.lifted_at is not None and resident.suspended_until is None
    ensure_can_write(resident)
    assert len(audit_entries(db, "account.suspension_lifted")) == 1
    assert len(notifications_of(db, resident)) == 2
    with pytest.raises(ServiceError):
        moderation.lift(moderator, row)
    assert moderation.active_suspensions() == []


@pytest.mark.parametrize("days", [0, -1, 366, 10_000])
def test_a_suspension_lasts_one_day_to_a_year(ctx, days):
    db = ctx
    resident = make_user()
    with pytest.raises(ServiceError):
        moderation.suspend(make_user(Role.MODERATOR), resident, days, "Spam")
    assert resident.suspended_until is None
    assert db.session.scalar(select(func.count()).select_from(Suspension)) == 0


@pytest.mark.parametrize("days", [1, 365])
def test_the_bounds_of_a_suspension_are_accepted(ctx, days):
    assert moderation.suspend(make_user(Role.MODERATOR), make_user(), days, "Spam").id


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_suspension_needs_a_reason(ctx, reason):
    resident = make_user()
    with pytest.raises(ServiceError):
        moderation.suspend(make_user(Role.MODERATOR), resident, 3, reason)
    assert resident.suspended_until is None


@pytest.mark.parametrize(("actor_role", "target_role", "allowed"), [
    (Role.MODERATOR, Role.RESIDENT, True),
    (Role.MODERATOR, Role.AGENT, True),
    (Role.MODERATOR, Role.TEACHER, True),
    (Role.MODERATOR, Role.MODERATOR, False),
    (Role.MODERATOR, Role.OFFICIAL, False),
    (Role.OFFICIAL, Role.MODERATOR, True),
    (Role.OFFICIAL, Role.RESIDENT, True),
    (Role.OFFICIAL, Role.OFFICIAL, False),
    (Role.RESIDENT, Role.RESIDENT, False),
    (Role.AGENT, Role.RESIDENT, False),
    (Role.TEACHER, Role.RESIDENT, False),
])
def test_who_may_suspend_whom(ctx, actor_role, target_role, allowed):
    actor, target = make_user(actor_role), make_user(target_role)
    if allowed:
        moderation.suspend(actor, target, 2, "Règles non respectées")
        assert target.suspended_until is not None
    else:
        with pytest.raises(NotAllowed):
            moderation.suspend(actor, target, 2, "Règles non respectées")
        assert target.suspended_until is None


def test_nobody_suspends_themselves_and_a_moderator_cannot_lift_a_moderators_suspension(ctx):
    official = make_user(Role.OFFICIAL)
    with pytest.raises(NotAllowed):
        moderation.suspend(official, official, 2, "Test")
    moderator = make_user(Role.MODERATOR)
    row = moderation.suspend(official, moderator, 2, "Décisions abusives")
    with pytest.raises(NotAllowed):
        moderation.lift(make_user(Role.MODERATOR), row)
    moderation.lift(official, row)
    assert moderator.suspended_until is None
