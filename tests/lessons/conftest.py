"""A signed-in pupil, as the schools module provides one: ``flask.g.pupil`` set for each request.

These view tests put a stand-in with the contract's attributes on ``g`` (a before-request hook added for the test
only), so that they can choose the pupil's class cycle and pseudonym freely. Real cards signed in through the schools'
page are tested in ``tests/schools/test_lessons_wiring.py`` and ``tests/browser/test_lessons_browser.py``.
"""

from types import SimpleNamespace

import pytest
from flask import g

from app.cycles.models import Cycle
from app.extensions import db


def make_pupil(pupil_id: int = 7, cycle=None, pseudonym: str = "Renard orange"):
    school_class = SimpleNamespace(id=3, name="CM2 A", cycle=cycle)
    return SimpleNamespace(id=pupil_id, pseudonym=pseudonym, learner_key=f"pupil:{pupil_id}", school_class=school_class)


@pytest.fixture
def sign_in_pupil(app):
    """``sign_in_pupil(pupil)``: every request of the test client runs with ``g.pupil = pupil``."""
    hooks = app.before_request_funcs.setdefault(None, [])
    added = []

    def _sign_in(pupil):
        def hook():
            # as the schools module will: the class's cycle is loaded in the request's own session
            cycle = pupil.school_class.cycle
            if cycle is not None:
                pupil.school_class.cycle = db.session.get(Cycle, cycle.id)
            g.pupil = pupil

        hooks.append(hook)
        added.append(hook)
        return pupil

    yield _sign_in
    for hook in added:
        hooks.remove(hook)


@pytest.fixture
def ctx(app, db):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield db
