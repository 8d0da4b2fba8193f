"""Two (or more) agents taking the same callback at the same moment, on a real committed database (the SQLite file
of the run, or PostgreSQL with DATABASE_URL): exactly one gets it. Same set-up as tests/voting/test_voting_race.py."""


from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import Role, User
from app.callcenter import services
from app.callcenter.models import CallbackTask, TaskStatus
from app.cycles.models import PhaseKind
from app.extensions import db
from app.proposals import services as proposal_services
from app.proposals.models import ProposalStatus
from tests.callcenter.conftest import attach
from tests.conftest import committed, run_together
from tests.factories import make_cycle, make_proposal, make_user

AGENTS = 8
ROUNDS = 4


def take(app, barrier, agent_id: int, task_id: int) -> tuple[str, str]:
    with app.app_context(), force_locale("en"):
        agent = db.session.get(User, agent_id)
        task = db.session.get(CallbackTask, task_id)
        db.session.commit()
        barrier.wait()
        return committed("taken", lambda: services.take_task(agent, task) and str(agent_id))


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
        results = run_together(race_app, [(take, agent_id, task_id) for agent_id in agents])
        assert [r for r in results if r[0] == "error"] == []
        winners = [who for kind, who in results if kind == "taken"]
        assert len(winners) == 1, results
        assert {text for kind, text in results if kind == "refused"} == {
            "Another agent is already making this callback."}
        with race_app.app_context():
            task = db.session.get(CallbackTask, task_id)
            assert task.status == TaskStatus.IN_PROGRESS and str(task.taken_by_id) == winners[0]
