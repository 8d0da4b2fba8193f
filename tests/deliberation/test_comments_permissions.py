"""Who may do what with comments, role by role (plus anonymous visitors)."""

from datetime import timedelta
from unittest import mock

import pytest
from flask_login import AnonymousUserMixin

from app.accounts.models import Role
from app.core import clock
from app.deliberation.models import Comment, Stance, Visibility
from app.deliberation.permissions import can
from tests.factories import make_cycle, make_proposal, make_user

ANONYMOUS = AnonymousUserMixin()
WRITERS = list(Role)  # every role with a confirmed email takes part in the discussion


@pytest.fixture
def proposal(db):
    return make_proposal(make_cycle())


def comment_by(author, proposal, **values) -> Comment:
    from app.extensions import db

    comment = Comment(proposal_id=proposal.id, author=author, body="Texte", body_html="<p>Texte</p>",
                      stance=Stance.FOR, **values)
    db.session.add(comment)
    db.session.flush()
    return comment


def test_anonymous_visitors_only_read(db, proposal):
    comment = comment_by(make_user(), proposal)
    for action in ("comment", "answer_officially", "see_reports"):
        assert not can(ANONYMOUS, action, proposal)
    for action in ("edit", "delete", "mark_useful", "report", "see_pending"):
        assert not can(ANONYMOUS, action, comment)
    assert not can(None, "comment", proposal)


@pytest.mark.parametrize("role", WRITERS, ids=[r.value for r in WRITERS])
def test_every_confirmed_role_comments_marks_useful_and_reports(db, proposal, role):
    user = make_user(role)
    other = comment_by(make_user(), proposal)
    assert can(user, "comment", proposal)
    assert can(user, "mark_useful", other)
    assert can(user, "report", other)
    assert not can(make_user(role, confirmed=False), "comment", proposal)
    assert not can(make_user(role, confirmed=False), "mark_useful", other)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_only_officials_and_the_assigned_reviewer_answer_for_the_city(db, proposal, role):
    user = make_user(role)
    assert can(user, "answer_officially", proposal) == (role == Role.OFFICIAL)
    proposal.reviewer_id = user.id
    # The review feature assigns only officials and moderators as reviewers.
    assert can(user, "answer_officially", proposal) == (role in (Role.OFFICIAL, Role.MODERATOR))


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_only_the_author_edits_and_deletes(db, proposal, role):
    author = make_user(role)
    comment = comment_by(author, proposal)
    assert can(author, "edit", comment) and can(author, "delete", comment)
    for other_role in Role:
        someone = make_user(other_role)
        assert not can(someone, "edit", comment) and not can(someone, "delete", comment)
    assert not can(author, "mark_useful", comment) and not can(author, "report", comment)


def test_edit_window_is_fifteen_minutes(db, proposal):
    author = make_user()
    start = clock.utcnow()
    with mock.patch.object(clock, "_now", return_value=start):
        comment = comment_by(author, proposal)
    for minutes, allowed in ((0, True), (15, True), (15.02, False), (60, False)):
        with mock.patch.object(clock, "_now", return_value=start + timedelta(minutes=minutes)):
            assert can(author, "edit", comment) is allowed, minutes
            assert can(author, "delete", comment)


def test_deleted_hidden_and_pending_comments(db, proposal):
    author, reader = make_user(), make_user()
    deleted = comment_by(author, proposal, deleted_at=clock.utcnow())
    hidden = comment_by(author, proposal, visibility=Visibility.HIDDEN)
    pending = comment_by(author, proposal, visibility=Visibility.PENDING)
    assert not can(author, "edit", deleted) and not can(author, "delete", deleted)
    assert not can(author, "edit", hidden) and can(author, "delete", hidden)
    assert can(author, "edit", pending)
    for comment in (deleted, hidden, pending):
        assert not can(reader, "mark_useful", comment) and not can(reader, "report", comment)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_pending_comments_and_report_counts_are_for_moderators(db, proposal, role):
    user = make_user(role)
    pending = comment_by(make_user(), proposal, visibility=Visibility.PENDING)
    moderates = role in (Role.MODERATOR, Role.OFFICIAL)
    assert can(user, "see_pending", pending) is moderates
    assert can(user, "see_reports") is moderates
    own = comment_by(user, proposal, visibility=Visibility.PENDING)
    assert can(user, "see_pending", own)
