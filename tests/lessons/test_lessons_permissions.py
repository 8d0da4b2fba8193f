"""Who may do what with the lessons, role by role."""

import pytest
from flask_login import AnonymousUserMixin

from app.accounts.models import Role
from app.lessons.permissions import can
from tests.factories import make_user
from tests.lessons.conftest import make_pupil


def test_every_role_reads_and_tries_quizzes_and_only_teachers_and_officials_read_guides(db, any_role):
    user = make_user(any_role)
    assert can(user, "read") and can(user, "quiz")
    assert can(user, "guide") == (any_role in {Role.TEACHER, Role.OFFICIAL})


def test_visitors_read_but_never_see_guides_and_only_a_pupil_keeps_answers():
    visitor = AnonymousUserMixin()
    assert can(visitor, "read") and can(visitor, "quiz") and not can(visitor, "guide") and not can(None, "guide")
    assert can(visitor, "keep_answers", make_pupil(3))
    assert not can(visitor, "keep_answers", None)
    with pytest.raises(ValueError):
        can(visitor, "grade")
