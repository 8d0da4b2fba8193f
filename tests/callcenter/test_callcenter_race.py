"""Two (or more) agents taking the same callback at the same moment, on a real committed database (the SQLite file
of the run, or PostgreSQL with DATABASE_URL): exactly one gets it. Same set-up as tests/voting/test_voting_race.py."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app import create_app
from app.accounts.models import Role, User
from app.callcenter import services
from app.callcenter.models import CallbackTask, TaskStatus
from app.config import TestConfig
from app.core.errors import ServiceError
from app.cycles.models import PhaseKind
from app.extensions import db
from app.proposals import services as proposal_services
from app.proposals.models import ProposalStatus
from tests.callcenter.conftest import attach
from tests.factories import make_cycle, make_proposal, make_user
from tests.voting.test_voting_race import _wipe

AGENTS = 8
ROUNDS = 4


@pytest.fixture
def race_app(app):
    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       SQLALCHEMY_ENGINE_OPTIONS={"pool_size": AGENTS + 5, "max_overflow": 0, "pool_timeout": 60})
    _wipe(other)
    yield other
    _wipe(other)
    with other.app_context():
        db.engine.dispose()


def take(app, barrier, agent_id: int, task_id: int) -> tuple[str, str]:
    with app.app_context(), force_locale("en"):
        agent = db.session.get(User, agent_id)
        task = db.session.get(CallbackTask, task_id)
        db.session.commit()
        barrier.wait()
        try:
            services.take_task(agent, task)
            db.session.commit()
            return "taken", str(agent_id)
        except ServiceError as error:
            db.session.rollback()
            return "refused", str(error.message)
        except Exception as error:  # "database is locked" or any other failure is what this test looks for
            db.session.rollback()
            return "error", repr(error)
        finally:
            db.session.remove()


def test_two_agents_never_take_the_same_callback(race_app):
    with race_app.test_request_context("/"):
        agents = [make_user(Role.AGENT).id for _ in range(AGENTS)]
        official = make_user(Role.OFFICIAL)
        cycle = make_cycle(PhaseKind.REVIEW)
        proposals = [make_proposal(cycle) for _ in range(ROUNDS)]
        for index, proposal in enumerate(proposals):
            attach(db.session.get(User, agents[0]), proposal, phone=f"06 12 34 56 7{index}")
            proposal_services.change_status(official, proposal, ProposalStatus.FEASIBLE)
        db.session.commit()
        task_ids = list(db.session.scalars(select(CallbackTask.id).order_by(CallbackTask.id)))
    assert len(task_ids) == ROUNDS
    for task_id in task_ids:
        barrier = threading.Barrier(AGENTS, timeout=60)
        with ThreadPoolExecutor(max_workers=AGENTS) as pool:
            futures = [pool.submit(take, race_app, barrier, agent_id, task_id) for agent_id in agents]
            results = [future.result(timeout=120) for future in futures]
        assert [r for r in results if r[0] == "error"] == []
        winners = [who for kind, who in results if kind == "taken"]
        assert len(winners) == 1, results
        assert {text for kind, text in results if kind == "refused"} == {
            "Another agent is already making this callback."}
        with race_app.app_context():
            task = db.session.get(CallbackTask, task_id)
            assert task.status == TaskStatus.IN_PROGRESS and str(task.taken_by_id) == winners[0]
