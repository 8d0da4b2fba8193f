"""The call center's services against the database: outcomes, consent, callbacks, personal data, claim codes."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.callcenter import services
from app.callcenter.models import (
    AttemptOutcome,
    Call,
    CallbackTask,
    Caller,
    CallerInterest,
    CallOutcome,
    ClaimCode,
    ContactPreference,
    TalkingPoint,
    TaskStatus,
)
from app.core.clock import utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry, OutboxMessage
from app.cycles.models import PhaseKind
from app.proposals import services as proposal_services
from app.proposals.models import Proposal, ProposalStatus
from app.proposals.search import normalise
from app.review.services import freeze_ballot
from tests.callcenter.conftest import EMAIL, NAME, PHONE, all_text, attach, count, details, make_service
from tests.factories import make_category, make_cycle, make_district, make_proposal, make_user

S = ProposalStatus


def new_proposal_intake(cycle, consent=True, **values):
    caller = details(**values) if consent else None
    return services.Intake(outcome=CallOutcome.NEW_PROPOSAL, cycle=cycle, consent=consent, caller=caller,
                           complaint="Il manque un banc à l'arrêt de bus de la place, les anciens attendent debout.",
                           address="Place du Concert", latitude=50.64, longitude=3.06)


# --- Phone numbers ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("06 12 34 56 78", "+33612345678"), ("06.12.34.56.78", "+33612345678"), ("+33 6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"), ("03 20 49 50 00", "+33320495000"), ("+32 470 12 34 56", "+32470123456"),
])
def test_phone_numbers_are_normalised_french_by_default(ctx, typed, expected):
    assert services.normalise_phone(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "12345", "06 12", "abcdefghij", "+33 6 12", "0" * 40, "06 12 34 56 78 9"])
def test_bad_phone_numbers_are_refused_with_a_message_on_the_phone_field(ctx, typed):
    with pytest.raises(ServiceError) as error:
        services.normalise_phone(typed)
    assert error.value.field == "phone" and str(error.value.message)


def test_a_french_number_is_displayed_in_national_format_a_foreign_one_internationally(ctx):
    assert services.display_phone("+33612345678") == "06 12 34 56 78"
    assert services.display_phone("+32470123456") == "+32 470 12 34 56"


# --- Outcome 1: a new proposal on the caller's behalf -----------------------------------------------------------------

def test_new_proposal_is_submitted_by_phone_with_the_agent_recorded_and_a_claim_code(agent, submission, ctx):
    result = services.record_call(agent, new_proposal_intake(submission))
    proposal = result.call.proposal
    assert proposal.status == S.SUBMITTED and proposal.channel == "phone"
    assert proposal.entered_by_id == agent.id and proposal.author_id is None
    assert proposal.title == "Il manque un banc à l'arrêt de bus de la place, les anciens attendent debout"
    assert proposal.body.startswith("Il manque un banc") and proposal.address == "Place du Concert"
    assert result.call.agent_id == agent.id and result.call.outcome == CallOutcome.NEW_PROPOSAL
    caller = result.call.caller
    assert (caller.name, caller.phone, caller.consent_agent_id) == (NAME, PHONE, agent.id)
    assert caller.consent_at is not None
    assert count(CallerInterest, CallerInterest.proposal_id == proposal.id) == 1
    # The code: 12 characters of a 32-letter alphabet (60 bits), only its SHA-256 stored.
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", result.claim_code)
    assert len(services.CLAIM_ALPHABET) ** services.CLAIM_LENGTH >= 2**50
    stored = ctx.session.scalar(select(ClaimCode).where(ClaimCode.proposal_id == proposal.id))
    assert stored.code_hash != result.claim_code and result.claim_code not in all_text()
    audit = ctx.session.scalars(select(AuditEntry).where(AuditEntry.action == "call.logged")).all()
    assert len(audit) == 1 and audit[0].channel == "phone"


def test_two_calls_never_get_the_same_claim_code(agent, submission):
    codes = {services.record_call(agent, new_proposal_intake(submission, phone=f"06 12 34 56 7{i}")).claim_code
             for i in range(5)}
    assert len(codes) == 5


def test_the_agent_can_give_the_proposal_its_own_title(agent, submission):
    intake = new_proposal_intake(submission)
    intake.title = "Un banc place du Concert"
    assert services.record_call(agent, intake).call.proposal.title == "Un banc place du Concert"


def test_new_proposal_only_while_the_budget_takes_proposals(agent, ctx):
    review = make_cycle(PhaseKind.REVIEW)
    with pytest.raises(ServiceError) as error:
        services.record_call(agent, new_proposal_intake(review))
    assert error.value.field == "cycle" and count(Proposal) == 0 and count(Call) == 0


def test_caller_emailed_the_claim_code_in_their_language_when_they_gave_an_email(agent, submission):
    result = services.record_call(agent, new_proposal_intake(submission, email=EMAIL, language="en"))
    [mail] = ctx_outbox(EMAIL)
    assert result.claim_code in mail.body and "claim code" in mail.body


def ctx_outbox(address):
    from app.extensions import db

    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)).all()


# --- Consent: without it, no contact data anywhere --------------------------------------------------------------------

@pytest.mark.parametrize("outcome", list(CallOutcome))
def test_without_consent_no_contact_data_is_stored_in_any_table(agent, submission, outcome):
    target = make_proposal(submission)
    service = make_service()
    before = count(AuditEntry)
    intake = services.Intake(outcome=outcome, consent=False, caller=details(email=EMAIL),
                             complaint="Un problème de trottoir devant l'école, très dangereux pour les enfants.",
                             cycle=submission, proposal=target, service=service)
    result = services.record_call(agent, intake)
    stored = all_text()
    for secret in (NAME, PHONE, "06 12 34 56 78", "0612345678", EMAIL):
        assert secret not in stored
    assert count(Caller) == 0 and result.call.caller_id is None and not result.call.consent
    assert count(AuditEntry) > before  # the call itself is logged


def test_a_request_outside_the_budget_never_keeps_contact_data_even_with_consent(agent, ctx):
    service = make_service()
    result = services.record_call(agent, services.Intake(outcome=CallOutcome.NOT_PB, consent=True,
                                                         caller=details(email=EMAIL), service=service,
                                                         complaint="Lampadaire en panne rue Gambetta."))
    assert result.call.service_id == service.id and result.call.service_name == "Propreté"
    assert count(Caller) == 0 and NAME not in all_text() and PHONE not in all_text()


def test_consent_requires_a_valid_name_and_number_and_nothing_is_written_otherwise(agent, submission):
    proposal = make_proposal(submission)
    for values, field in (({"name": ""}, "name"), ({"name": "x" * 121}, "name"), ({"phone": "12"}, "phone"),
                          ({"email": "not-an-email"}, "email"),
                          ({"preferred": ContactPreference.EMAIL}, "email"), ({"language": "de"}, "language")):
        with pytest.raises(ServiceError) as error:
            attach(agent, proposal, **values)
        assert error.value.field == field
    assert count(Caller) == 0 and count(Call) == 0 and count(CallerInterest) == 0


@pytest.mark.parametrize("complaint, field", [("", "complaint"), ("   ", "complaint"), ("x" * 5001, "complaint")])
def test_empty_or_too_long_requests_are_refused(agent, ctx, complaint, field):
    with pytest.raises(ServiceError) as error:
        services.record_call(agent, services.Intake(outcome=CallOutcome.NOT_PB, service=make_service(),
                                                    complaint=complaint))
    assert error.value.field == field and count(Call) == 0


def test_one_caller_record_per_phone_number_updated_on_the_next_call(agent, submission):
    first, second = make_proposal(submission), make_proposal(submission)
    attach(agent, first)
    attach(agent, second, phone="+33612345678", name="Josiane L.", language="nl")
    [caller] = ctx_callers()
    assert caller.name == "Josiane L." and caller.language == "nl"
    assert {i.proposal_id for i in caller.interests} == {first.id, second.id}


def ctx_callers():
    from app.extensions import db

    return db.session.scalars(select(Caller)).all()


# --- Outcome 2: attach, and phone supports ----------------------------------------------------------------------------

def test_attach_makes_the_caller_an_interested_party(agent, submission):
    proposal = make_proposal(submission)
    result = attach(agent, proposal)
    assert result.call.outcome == CallOutcome.ATTACHED and result.call.proposal_id == proposal.id
    assert count(CallerInterest, CallerInterest.proposal_id == proposal.id) == 1
    attach(agent, proposal)  # the same caller again: still one interest
    assert count(CallerInterest, CallerInterest.proposal_id == proposal.id) == 1


def test_phone_support_counts_once_per_caller_and_only_where_the_budget_allows_it(agent, submission):
    proposal = make_proposal(submission)

    def support(**values):
        caller = details(**values)
        return services.record_call(agent, services.Intake(
            outcome=CallOutcome.ATTACHED, proposal=proposal, consent=True, caller=caller, phone_support=True,
            complaint="Soutient ce projet."))

    with pytest.raises(ServiceError) as error:
        support()
    assert error.value.field == "phone_support" and proposal.supports_count == 0
    submission.phone_supports = True
    support()
    support()  # the same number twice: one support
    support(phone="06 12 34 56 79")
    assert proposal.supports_count == 2


def test_phone_support_needs_consent_and_the_submission_phase(agent, ctx):
    review = make_cycle(PhaseKind.REVIEW)
    review.phone_supports = True
    proposal = make_proposal(review)
    with pytest.raises(ServiceError):
        services.record_call(agent, services.Intake(outcome=CallOutcome.ATTACHED, proposal=proposal, consent=True,
                                                    caller=details(), phone_support=True, complaint="Soutien"))
    with pytest.raises(ServiceError):
        services.record_call(agent, services.Intake(outcome=CallOutcome.ATTACHED, proposal=proposal,
                                                    phone_support=True, complaint="Soutien"))
    assert proposal.supports_count == 0


def test_attach_only_to_a_public_proposal_of_an_open_budget(agent, ctx):
    closed = make_cycle(PhaseKind.CLOSED)
    for proposal in (make_proposal(closed), make_proposal(make_cycle(), status=S.DRAFT),
                     make_proposal(make_cycle(), status=S.WITHDRAWN), make_proposal(make_cycle(), hidden_at=utcnow())):
        with pytest.raises(ServiceError) as error:
            attach(agent, proposal)
        assert error.value.field == "proposal"
    assert count(Call) == 0


# --- Outcome 3: not for the participatory budget ----------------------------------------------------------------------

def test_not_for_the_budget_needs_an_active_service(agent, ctx):
    inactive = make_service(active=False)
    for service in (None, inactive):
        with pytest.raises(ServiceError) as error:
            services.record_call(agent, services.Intake(outcome=CallOutcome.NOT_PB, service=service,
                                                        complaint="Trottoir abîmé"))
        assert error.value.field == "service"
    assert count(Call) == 0


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR, Role.TEACHER])
def test_only_agents_and_officials_record_calls(ctx, role):
    with pytest.raises(NotAllowed):
        services.record_call(make_user(role), services.Intake(outcome=CallOutcome.NOT_PB, service=make_service(),
                                                              complaint="Trottoir"))


# --- Callbacks --------------------------------------------------------------------------------------------------------

def test_a_status_change_creates_one_callback_per_consenting_caller(agent, official, ctx):
    cycle = make_cycle(PhaseKind.REVIEW)
    proposal = make_proposal(cycle)
    attach(agent, proposal)
    attach(agent, proposal, phone="06 12 34 56 79", name="Paul")
    attach(agent, proposal, consent=False)
    proposal_services.change_status(official, proposal, S.UNDER_REVIEW)  # not news for callers
    assert count(CallbackTask) == 0
    proposal_services.change_status(official, proposal, S.NOT_FEASIBLE, reason="Le terrain n'est pas à la Ville.")
    tasks = ctx.session.scalars(select(CallbackTask)).all()
    assert len(tasks) == 2 and {t.event for t in tasks} == {"status:not_feasible"}
    assert all(t.status == TaskStatus.OPEN and t.channel == ContactPreference.PHONE for t in tasks)
    assert tasks[0].news_detail == "Le terrain n'est pas à la Ville."
    assert "Not feasible" in services.news_text(tasks[0], "en")
    assert "Le terrain" in services.news_text(tasks[0], "en")
    # The same event again never makes a second task (a unique constraint guards it too).
    proposal_services.change_status(official, proposal, S.NOT_FEASIBLE)
    assert count(CallbackTask) == 2


def test_the_unique_constraint_refuses_a_second_task_for_the_same_caller_and_event(agent, official, ctx):
    from sqlalchemy.exc import IntegrityError

    proposal = make_proposal(make_cycle(PhaseKind.REVIEW))
    attach(agent, proposal)
    proposal_services.change_status(official, proposal, S.FEASIBLE)
    task = ctx.session.scalar(select(CallbackTask))
    with pytest.raises(IntegrityError), ctx.session.begin_nested():
        ctx.session.add(CallbackTask(caller_id=task.caller_id, proposal_id=task.proposal_id, event=task.event,
                                     channel=ContactPreference.PHONE, due_on=task.due_on))


def test_email_preferring_callers_get_a_translated_email_not_a_task_in_the_queue(agent, official, ctx):
    proposal = make_proposal(make_cycle(PhaseKind.REVIEW), title="Des bancs au parc")
    attach(agent, proposal, email=EMAIL, language="nl", preferred=ContactPreference.EMAIL)
    proposal_services.change_status(official, proposal, S.FEASIBLE)
    [task] = ctx.session.scalars(select(CallbackTask)).all()
    assert task.channel == ContactPreference.EMAIL and task.status == TaskStatus.DONE
    assert services.callback_queue() == []
    [mail] = ctx_outbox(EMAIL)
    assert "Des bancs au parc" in mail.body and "You called the city" not in mail.body  # in Dutch


def test_voting_opening_creates_callbacks_for_the_projects_on_the_ballot(agent, official, ctx):
    cycle = make_cycle(PhaseKind.VOTING)
    on_ballot = make_proposal(cycle, status=S.FEASIBLE, city_cost_cents=1000_00)
    dropped = make_proposal(cycle, status=S.NOT_FEASIBLE)
    attach(agent, on_ballot)
    attach(agent, dropped, phone="06 12 34 56 79")
    assert freeze_ballot(official, cycle)
    [task] = ctx.session.scalars(select(CallbackTask)).all()
    assert task.proposal_id == on_ballot.id and task.event == "voting_opened"
    assert "Voting is open" in services.news_text(task, "en")


def test_merging_moves_callers_to_the_target_and_tells_them(agent, official, ctx):
    from app.review.services import merge

    cycle = make_cycle(PhaseKind.REVIEW)
    target, duplicate = make_proposal(cycle), make_proposal(cycle)
    attach(agent, duplicate)
    merge(official, target, [duplicate])
    [task] = ctx.session.scalars(select(CallbackTask)).all()
    assert task.proposal_id == duplicate.id and task.event == "status:merged"
    assert count(CallerInterest, CallerInterest.proposal_id == target.id) == 1
    proposal_services.change_status(official, target, S.FEASIBLE)
    assert count(CallbackTask, CallbackTask.proposal_id == target.id) == 1


def queued_task(agent, official):
    proposal = make_proposal(make_cycle(PhaseKind.REVIEW))
    attach(agent, proposal)
    proposal_services.change_status(official, proposal, S.FEASIBLE)
    return services.callback_queue()[0]


def test_queue_is_ordered_by_due_date_then_language(agent, official, ctx):
    proposal = make_proposal(make_cycle(PhaseKind.REVIEW))
    for index, language in enumerate(("nl", "en", "fr")):
        attach(agent, proposal, phone=f"06 12 34 56 7{index}", language=language)
    proposal_services.change_status(official, proposal, S.FEASIBLE)
    tasks = services.callback_queue()
    assert [t.language for t in tasks] == ["en", "fr", "nl"]
    tasks[2].due_on = tasks[2].due_on - timedelta(days=2)
    ctx.session.flush()
    assert [t.language for t in services.callback_queue()] == ["nl", "en", "fr"]


def test_reached_closes_the_task_as_done(agent, official, ctx):
    task = services.take_task(agent, queued_task(agent, official))
    assert task.status == TaskStatus.IN_PROGRESS and task.taken_by_id == agent.id
    services.record_attempt(agent, task, AttemptOutcome.REACHED)
    assert task.status == TaskStatus.DONE and task.closed_by_id == agent.id and task.last_outcome == "reached"


def test_voicemail_left_closes_the_task_as_done(agent, official, ctx):
    task = services.take_task(agent, queued_task(agent, official))
    services.record_attempt(agent, task, AttemptOutcome.VOICEMAIL)
    assert task.status == TaskStatus.DONE


def test_no_answer_comes_back_tomorrow_and_three_failures_close_the_task(agent, official, ctx):
    task = queued_task(agent, official)
    today = task.due_on
    for attempt in (1, 2):
        services.take_task(agent, task)
        services.record_attempt(agent, task, AttemptOutcome.NO_ANSWER)
        assert task.status == TaskStatus.OPEN and task.attempts == attempt and task.taken_by_id is None
        assert task.due_on == today + timedelta(days=1)
    services.take_task(agent, task)
    services.record_attempt(agent, task, AttemptOutcome.NO_ANSWER)
    assert task.status == TaskStatus.FAILED and task.attempts == 3 and services.callback_queue() == []


def test_wrong_number_closes_the_task(agent, official, ctx):
    task = services.take_task(agent, queued_task(agent, official))
    services.record_attempt(agent, task, AttemptOutcome.WRONG_NUMBER)
    assert task.status == TaskStatus.FAILED


def test_a_caller_who_asks_to_stop_is_erased_and_their_other_callbacks_cancelled(agent, official, ctx):
    cycle = make_cycle(PhaseKind.REVIEW)
    first, second = make_proposal(cycle), make_proposal(cycle)
    attach(agent, first)
    attach(agent, second)
    proposal_services.change_status(official, first, S.FEASIBLE)
    proposal_services.change_status(official, second, S.FEASIBLE)
    task, other = services.callback_queue()
    services.take_task(agent, task)
    services.record_attempt(agent, task, AttemptOutcome.STOP)
    ctx.session.refresh(other)
    assert task.status == TaskStatus.CANCELLED and other.status == TaskStatus.CANCELLED
    assert task.caller.erased and task.caller.phone is None and NAME not in all_text()
    proposal_services.change_status(official, first, S.SELECTED)
    assert count(CallbackTask) == 2  # no new task for an erased caller


def test_an_agent_cannot_close_or_release_another_agents_task(agent, official, ctx):
    task = services.take_task(agent, queued_task(agent, official))
    other = make_user(Role.AGENT)
    with pytest.raises(ServiceError):
        services.take_task(other, task)
    for action in (lambda: services.record_attempt(other, task, AttemptOutcome.REACHED),
                   lambda: services.release_task(other, task),
                   lambda: services.record_attempt(official, task, AttemptOutcome.WRONG_NUMBER)):
        with pytest.raises(NotAllowed):
            action()
    assert task.status == TaskStatus.IN_PROGRESS and task.taken_by_id == agent.id


def test_a_task_held_for_hours_can_be_taken_by_another_agent(app, agent, official, ctx):
    task = services.take_task(agent, queued_task(agent, official))
    task.taken_at = utcnow() - timedelta(hours=app.config["CALLCENTER_TASK_HOLD_HOURS"] + 1)
    ctx.session.flush()
    other = make_user(Role.AGENT)
    assert services.take_task(other, task).taken_by_id == other.id


def test_released_task_goes_back_to_the_queue(agent, official, ctx):
    task = services.take_task(agent, queued_task(agent, official))
    services.release_task(agent, task)
    assert task.status == TaskStatus.OPEN and task.taken_by_id is None and task.attempts == 0


def test_closed_task_cannot_be_taken_again(agent, official, ctx):
    task = services.take_task(agent, queued_task(agent, official))
    services.record_attempt(agent, task, AttemptOutcome.REACHED)
    with pytest.raises(ServiceError):
        services.take_task(agent, task)
    with pytest.raises(NotAllowed):
        services.record_attempt(agent, task, AttemptOutcome.REACHED)


# --- Personal data ----------------------------------------------------------------------------------------------------

def test_every_read_of_a_caller_record_is_audited_without_contact_data(agent, submission):
    attach(agent, make_proposal(submission), email=EMAIL)
    caller = ctx_callers()[0]
    services.view_caller(agent, caller)
    assert services.find_caller(agent, "06 12 34 56 78") == caller
    entries = {e.action: e for e in ctx_audit()}
    assert entries["caller.viewed"].actor_id == agent.id and entries["caller.viewed"].target_id == str(caller.id)
    assert "caller.looked_up" in entries
    audit_text = " ".join(f"{e.details} {e.target_id} {e.actor_label}" for e in ctx_audit())
    assert NAME not in audit_text and PHONE not in audit_text and EMAIL not in audit_text


def ctx_audit():
    from app.extensions import db

    return db.session.scalars(select(AuditEntry)).all()


def test_forget_this_caller_is_one_action_that_keeps_anonymous_statistics(agent, official, ctx):
    proposal = make_proposal(make_cycle(PhaseKind.REVIEW))
    attach(agent, proposal, email=EMAIL)
    proposal_services.change_status(official, proposal, S.FEASIBLE)
    caller = ctx_callers()[0]
    services.forget_caller(agent, caller)
    stored = all_text(exclude=("outbox_message",))  # mail already handed to the outbox is delivery history
    for secret in (NAME, PHONE, EMAIL, "Où en est ce projet"):
        assert secret not in stored
    assert count(Call) == 1 and count(CallerInterest) == 1
    assert ctx.session.scalar(select(CallbackTask)).status == TaskStatus.CANCELLED
    assert any(e.action == "caller.forgotten" for e in ctx_audit())


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR, Role.TEACHER])
def test_only_agents_and_officials_read_or_forget_callers(agent, submission, role):
    attach(agent, make_proposal(submission))
    caller, someone = ctx_callers()[0], make_user(role)
    for action in (lambda: services.view_caller(someone, caller), lambda: services.forget_caller(someone, caller),
                   lambda: services.find_caller(someone, "06 12 34 56 78")):
        with pytest.raises(NotAllowed):
            action()


def test_purge_erases_callers_months_after_their_budgets_closed(agent, ctx):
    closed_long_ago = make_cycle(PhaseKind.CLOSED)  # closed 15 days ago by the factory's layout
    still_open = make_cycle(PhaseKind.SUBMISSION)
    old, current = make_proposal(closed_long_ago), make_proposal(still_open)
    only_closed = Caller(name="Ancien", phone="+33612345670", consent_agent_id=agent.id)
    both = Caller(name="Paul", phone="+33612345679", consent_agent_id=agent.id)
    ctx.session.add_all([only_closed, both])
    ctx.session.flush()
    ctx.session.add_all([CallerInterest(caller_id=only_closed.id, proposal_id=old.id),
                         CallerInterest(caller_id=both.id, proposal_id=old.id),
                         CallerInterest(caller_id=both.id, proposal_id=current.id)])
    ctx.session.flush()
    old_call = Call(outcome=CallOutcome.ATTACHED, cycle_id=closed_long_ago.id, proposal_id=old.id,
                    complaint="Mme Untel, voisine du 3, se plaint", created_at=utcnow() - timedelta(days=60))
    open_call = Call(outcome=CallOutcome.ATTACHED, cycle_id=still_open.id, proposal_id=current.id,
                     complaint="Toujours d'actualité", created_at=utcnow() - timedelta(days=60))
    ctx.session.add_all([old_call, open_call])
    ctx.session.flush()
    assert services.purge_expired(months=1) == 0  # closed 15 days ago: not yet
    # 100 days on, the first budget has been closed for 115 days, the second is still open.
    assert services.purge_expired(now=utcnow() + timedelta(days=100), months=3) == 1
    assert {c.name for c in ctx_callers()} == {None, "Paul"}
    assert ctx.session.scalar(select(Call.complaint).where(Call.id == old_call.id)) == ""
    assert ctx.session.scalar(select(Call.complaint).where(Call.id == open_call.id)) != ""
    assert any(e.action == "caller.expired" and e.actor_id is None for e in ctx_audit())


def test_months_before_handles_short_months():
    from datetime import datetime

    assert services.months_before(datetime(2027, 3, 31), 1) == datetime(2027, 2, 28)
    assert services.months_before(datetime(2027, 1, 15), 6) == datetime(2026, 7, 15)


def test_purge_command_runs(app, agent, submission):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pb", "purge", "--months", "6"])
    assert result.exit_code == 0 and "Callers erased: 0." in result.output


# --- Claim codes ------------------------------------------------------------------------------------------------------

def test_a_resident_claims_the_proposal_once_with_the_code(agent, submission):
    result = services.record_call(agent, new_proposal_intake(submission))
    resident = make_user(Role.RESIDENT)
    typed = result.claim_code.lower().replace("-", " ")
    proposal = services.claim_proposal(resident, typed)
    assert proposal.author_id == resident.id and proposal.channel == "phone" and proposal.entered_by_id == agent.id
    assert proposal_services.following(resident, proposal) is not None
    with pytest.raises(ServiceError):
        services.claim_proposal(make_user(Role.RESIDENT), result.claim_code)
    assert proposal.author_id == resident.id


@pytest.mark.parametrize("typed", ["", "ABCD", "ABCD-EFGH-JKMU", "0000-0000-0000"])
def test_bad_claim_codes_are_refused(agent, submission, typed):
    services.record_call(agent, new_proposal_intake(submission))
    with pytest.raises(ServiceError) as error:
        services.claim_proposal(make_user(Role.RESIDENT), typed)
    assert error.value.field == "code"
    assert count(Proposal, Proposal.author_id.is_not(None)) == 0


# --- Talking points, promises, services, dashboard --------------------------------------------------------------------

def test_talking_points_have_built_in_defaults_in_every_language_and_officials_override_them(official, ctx):
    english = services.talking_point("submission", "en")
    french = services.talking_point("submission", "fr")
    assert english.startswith("Ideas are being collected") and french != english
    services.save_talking_point(official, "submission", {"text_fr": "Texte de la mairie", "text_en": ""})
    assert services.talking_point("submission", "fr") == "Texte de la mairie"
    assert services.talking_point("submission", "en") == "Texte de la mairie"  # falls back to French
    assert services.talking_point("none", "en").startswith("No participatory budget is open")
    with pytest.raises(ServiceError):
        services.save_talking_point(official, "submission", {"text_fr": "x" * 4001})
    with pytest.raises(NotAllowed):
        services.save_talking_point(make_user(Role.AGENT), "review", {"text_fr": "Non"})
    assert count(TalkingPoint) == 1


def test_briefs_say_what_can_be_promised_in_each_open_cycle(agent, ctx):
    submission = make_cycle(PhaseKind.SUBMISSION)
    submission.phone_supports = True
    make_cycle(PhaseKind.VOTING)
    make_cycle(PhaseKind.CLOSED)
    briefs = {b.phase: b for b in services.cycle_briefs()}
    assert set(briefs) == {PhaseKind.SUBMISSION, PhaseKind.VOTING}
    assert any("new proposal" in p for p in briefs[PhaseKind.SUBMISSION].promises)
    assert any("support a proposal by phone" in p for p in briefs[PhaseKind.SUBMISSION].promises)
    assert any("Voting is open" in p for p in briefs[PhaseKind.VOTING].promises)
    assert briefs[PhaseKind.VOTING].talking_point.startswith("Residents are voting")


def test_search_finds_open_proposals_by_title_text_district_and_address(ctx):
    district = make_district("Wazemmes")
    cycle = make_cycle()
    bench = make_proposal(cycle, title="Des bancs au marché", body="Pour se reposer.", district=district,
                          address="Place de la Nouvelle Aventure")
    bench.search_text = normalise(bench.title, bench.body, bench.address, district.name)
    ctx.session.flush()
    make_proposal(make_cycle(PhaseKind.CLOSED), title="Des bancs fermés")
    assert [p.id for p in services.search_open_proposals("banc")] == [bench.id]
    assert [p.id for p in services.search_open_proposals("nouvelle aventure")] == [bench.id]
    assert [p.id for p in services.search_open_proposals("reposer")] == [bench.id]
    assert [p.id for p in services.search_open_proposals("wazemmes banc")] == [bench.id]
    assert services.search_open_proposals("piscine") == [] and services.search_open_proposals("") == []


def test_services_list_is_managed_by_officials(official, ctx):
    service = services.save_service(official, {"name_fr": "Voirie", "answer_fr": "On passe demain."})
    assert [s.name for s in services.municipal_services(active_only=True)] == ["Voirie"]
    services.set_service_active(official, service, False)
    assert services.municipal_services(active_only=True) == []
    with pytest.raises(ServiceError) as error:
        services.save_service(official, {"name_fr": "", "answer_fr": "x"})
    assert error.value.field == "name_fr"
    with pytest.raises(NotAllowed):
        services.save_service(make_user(Role.AGENT), {"name_fr": "A", "answer_fr": "B"})


def test_dashboard_counts_calls_callbacks_and_phone_proposals(agent, official, submission):
    services.record_call(agent, new_proposal_intake(submission))
    services.record_call(agent, services.Intake(outcome=CallOutcome.NOT_PB, service=make_service(),
                                                complaint="Trottoir"))
    review = make_cycle(PhaseKind.REVIEW)
    proposal = make_proposal(review, channel="phone")
    attach(agent, proposal, phone="06 12 34 56 79")
    proposal_services.change_status(official, proposal, S.NOT_FEASIBLE, reason="Non")
    board = services.dashboard(official)
    assert board.calls == 3 and board.totals[CallOutcome.NEW_PROPOSAL] == 1
    assert board.proposal_share == pytest.approx(1 / 3)
    assert board.callbacks["due"] == 1 and board.callbacks["late"] == 0
    assert board.phone_proposals["waiting"] == 1 and board.phone_proposals["not_feasible"] == 1
    assert board.phone_proposals["total"] == 2
    assert sum(total for _day, _counts, total in board.days) == 3
    with pytest.raises(NotAllowed):
        services.dashboard(agent)


def test_set_phone_supports_is_for_officials(official, submission):
    services.set_phone_supports(official, submission, True)
    assert submission.phone_supports
    with pytest.raises(NotAllowed):
        services.set_phone_supports(make_user(Role.AGENT), submission, False)


def test_category_and_district_are_kept_on_the_call(agent, submission):
    district, category = make_district(), make_category()
    intake = new_proposal_intake(submission)
    intake.district, intake.category = district, category
    call = services.record_call(agent, intake).call
    assert (call.district_id, call.category_id) == (district.id, category.id)
    assert (call.proposal.district_id, call.proposal.category_id) == (district.id, category.id)
