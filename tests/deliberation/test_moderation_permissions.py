"""Who may report and who moderates, role by role (plus anonymous)."""

import pytest
from flask_login import AnonymousUserMixin

from app.accounts.models import Role
from app.deliberation.moderation_permissions import can
from tests.factories import make_user

MODERATING = {Role.MODERATOR, Role.OFFICIAL}


@pytest.mark.parametrize("action", ["report", "moderate", "words", "suspensions", "suspend"])
def test_anonymous_visitors_may_do_nothing(db, action):
    assert not can(AnonymousUserMixin(), action, make_user())
    assert not can(None, action)


def test_every_signed_in_role_may_report(db, any_role):
    assert can(make_user(any_role), "report")


@pytest.mark.parametrize("action", ["moderate", "words", "suspensions"])
def test_only_moderators_and_officials_moderate(db, any_role, action):
    assert can(make_user(any_role), action) is (any_role in MODERATING)


EXPECTED_SUSPEND = {
    Role.MODERATOR: {Role.RESIDENT, Role.AGENT, Role.TEACHER},
    Role.OFFICIAL: {Role.RESIDENT, Role.AGENT, Role.TEACHER, Role.MODERATOR},
}


@pytest.mark.parametrize("target", list(Role), ids=[r.value for r in Role])
def test_who_may_suspend_whom(db, any_role, target):
    actor = make_user(any_role)
    assert can(actor, "suspend", make_user(target)) is (target in EXPECTED_SUSPEND.get(any_role, set()))
    assert not can(actor, "suspend", actor)  # never oneself
    assert not can(actor, "suspend", None)


def test_unknown_actions_are_a_programming_error(db):
    with pytest.raises(KeyError):
        can(make_user(Role.OFFICIAL), "delete_everything")
