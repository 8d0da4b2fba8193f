"""The call center: calls and their outcomes, callbacks, callers' personal data, talking points, services.

Services take the acting user, flush, and leave the commit to the caller. Contact data (name, phone, email) are
written only when the caller consented, live only in ``caller``, never go to the audit log's details, and every
read of a caller record is audited.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, format_date, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.accounts.services import ensure_can_write
from app.callcenter.models import (
    AttemptOutcome,
    Call,
    CallbackTask,
    Caller,
    CallerInterest,
    CallOutcome,
    ClaimCode,
    ContactPreference,
    MunicipalService,
    TalkingPoint,
    TaskStatus,
)
from app.callcenter.permissions import can
from app.core import audit, purge
from app.core.clock import as_utc, local_now, months_before, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.mail import queue_mail
from app.core.notify import absolute_url
from app.core.transactions import begin_write
from app.cycles.models import Cycle, Phase, PhaseKind
from app.cycles.phases import allows
from app.cycles.services import current_window, open_cycles, phase_label, phase_of
from app.extensions import db
from app.proposals import services as proposal_services
from app.proposals.models import PUBLIC_STATUSES, Proposal, ProposalStatus
from app.proposals.search import search_clause

S = ProposalStatus
NAME_MAX = 120
COMPLAINT_MAX = 5000
TITLE_MIN, TITLE_MAX = 5, 150
PROPOSAL_BODY_MIN = 20
MAX_ATTEMPTS = 3
TEXT_MAX = 4000
# Statuses that are news for the callers linked to a proposal.
CALLBACK_STATUSES = frozenset({S.FEASIBLE, S.NOT_FEASIBLE, S.MERGED, S.SELECTED, S.NOT_SELECTED, S.IN_PROGRESS,
                               S.DONE})
VOTING_OPENED = "voting_opened"
# Claim codes: 12 characters of a 32-letter alphabet without look-alikes (60 bits), read out in groups of four.
CLAIM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CLAIM_LENGTH = 12
_CLAIM_READING = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _require(actor, action: str, obj=None, message=None) -> None:
    if not can(actor, action, obj):
        raise NotAllowed(message or _l("Only call-center agents and city officials can do this."))


def _today() -> date:
    return local_now().date()


# --- Phone numbers ----------------------------------------------------------------------------------------------------

def normalise_phone(raw: str, region: str | None = None) -> str:
    """A phone number as typed ("06 12 34 56 78", "+32 470 12 34 56") in E.164; French numbers by default."""
    region = region or current_app.config["CALLCENTER_PHONE_REGION"]
    text = (raw or "").strip()
    if not text:
        raise ServiceError(_l("Please enter the caller's phone number."), field="phone")
    if len(text) > 30:
        raise ServiceError(_l("This phone number is too long."), field="phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ServiceError(_l("This is not a phone number. Type it as the caller says it, for example "
                              "06 12 34 56 78 or +32 470 12 34 56."), field="phone")
    if not phonenumbers.is_valid_number(number):
        raise ServiceError(_l("This phone number is incomplete or does not exist. Please check it with the caller."),
                           field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """National format for numbers of the city's country, international format otherwise."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    region = current_app.config["CALLCENTER_PHONE_REGION"]
    national = phonenumbers.region_code_for_number(number) == region
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL if national
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email_address(raw: str) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > 254:
        raise ServiceError(_l("This email address is too long."), field="email")
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ServiceError(_l("This email address is not valid."), field="email")


# --- The call ---------------------------------------------------------------------------------------------------------

@dataclass
class CallerDetails:
    name: str
    phone: str
    email: str = ""
    language: str = "fr"
    preferred_contact: ContactPreference = ContactPreference.PHONE


@dataclass
class Intake:
    outcome: CallOutcome
    complaint: str
    consent: bool = False
    caller: CallerDetails | None = None
    district: object = None
    category: object = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    cycle: Cycle | None = None  # new proposal
    title: str = ""  # new proposal ("" = from the complaint)
    proposal: Proposal | None = None  # attach
    phone_support: bool = False  # attach, during submission, where the cycle allows it
    service: MunicipalService | None = None  # not for the participatory budget
    language: str = "fr"  # the language the call was held in (for statistics)


@dataclass
class CallResult:
    call: Call
    claim_code: str | None = None
    warnings: list = field(default_factory=list)


def title_from_complaint(complaint: str) -> str:
    """A proposal title from the caller's words: their first line or sentence, cut at a word."""
    first = (complaint or "").strip().splitlines()[0] if (complaint or "").strip() else ""
    first = first.split(". ")[0].strip().rstrip(".")
    if len(first) <= TITLE_MAX:
        return first
    return first[: TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"


def _check_intake(intake: Intake) -> None:
    """Every rule checked before anything is written, each error on its field."""
    complaint = (intake.complaint or "").strip()
    if not complaint:
        raise ServiceError(_l("Please write down the caller's request."), field="complaint")
    if len(complaint) > COMPLAINT_MAX:
        raise ServiceError(_l("The request must have at most %(max)d characters.", max=COMPLAINT_MAX),
                           field="complaint")
    if len(intake.address or "") > 200:
        raise ServiceError(_l("The address must have at most %(max)d characters.", max=200), field="address")
    if intake.language not in current_app.config["LANGUAGES"]:
        raise ServiceError(_l("Please choose a language from the list."), field="language")
    if intake.outcome == CallOutcome.NEW_PROPOSAL:
        if intake.cycle is None:
            raise ServiceError(_l("Please choose the budget the proposal is for."), field="cycle")
        if not allows(phase_of(intake.cycle), "submit_proposal"):
            raise ServiceError(_l("This budget does not take new proposals now."), field="cycle")
        title = (intake.title or "").strip() or title_from_complaint(complaint)
        if not TITLE_MIN <= len(title) <= TITLE_MAX:
            raise ServiceError(_l("The title must have between %(min)d and %(max)d characters.", min=TITLE_MIN,
                                  max=TITLE_MAX), field="title")
        if len(complaint) < PROPOSAL_BODY_MIN:
            raise ServiceError(_l("For a proposal, please describe the request in at least %(min)d characters.",
                                  min=PROPOSAL_BODY_MIN), field="complaint")
    elif intake.outcome == CallOutcome.ATTACHED:
        proposal = intake.proposal
        if proposal is None:
            raise ServiceError(_l("Please choose the proposal to attach the caller to."), field="proposal")
        if not is_open_proposal(proposal):
            raise ServiceError(_l("This proposal is not open: callers can only be attached to the proposals of "
                                  "an open budget."), field="proposal")
        if intake.phone_support:
            if not intake.consent:
                raise ServiceError(_l("A support by phone needs the caller's consent and number."),
                                   field="phone_support")
            if not phone_support_open(proposal):
                raise ServiceError(_l("This proposal cannot be supported by phone now."), field="phone_support")
    elif intake.outcome == CallOutcome.NOT_PB and (intake.service is None or not intake.service.active):
        raise ServiceError(_l("Please choose the city service that handles this request."), field="service")


def _check_caller(details: CallerDetails | None) -> CallerDetails:
    if details is None:
        raise ServiceError(_l("Please enter the caller's name and phone number."), field="name")
    name = (details.name or "").strip()
    if not name:
        raise ServiceError(_l("Please enter the caller's name."), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_l("The name must have at most %(max)d characters.", max=NAME_MAX), field="name")
    phone = normalise_phone(details.phone)
    email = normalise_email_address(details.email)
    preferred = ContactPreference(details.preferred_contact)
    if preferred == ContactPreference.EMAIL and not email:
        raise ServiceError(_l("The caller prefers email: please enter their email address."), field="email")
    if details.language not in current_app.config["LANGUAGES"]:
        raise ServiceError(_l("Please choose a language from the list."), field="language")
    return CallerDetails(name=name, phone=phone, email=email or "", language=details.language,
                         preferred_contact=preferred)


def _consenting_caller(agent, details: CallerDetails) -> Caller:
    """The caller's record: the one with this number (updated), else a new one. Consent is recorded anew."""
    caller = db.session.scalar(select(Caller).where(Caller.phone == details.phone))
    if caller is None:
        caller = Caller(phone=details.phone)
        db.session.add(caller)
    caller.name = details.name
    caller.email = details.email or None
    caller.language = details.language
    caller.preferred_contact = details.preferred_contact
    caller.consent_at = utcnow()
    caller.consent_agent_id = agent.id
    db.session.flush()
    return caller


def record_call(agent, intake: Intake) -> CallResult:
    """Log a call and carry out its outcome. Without consent (or for a request outside the participatory budget)
    no contact data is written anywhere."""
    _require(agent, "take_calls")
    ensure_can_write(agent)
    _check_intake(intake)
    keeps_contact = intake.consent and intake.outcome != CallOutcome.NOT_PB
    details = _check_caller(intake.caller) if keeps_contact else None
    complaint = intake.complaint.strip()
    caller = _consenting_caller(agent, details) if details else None
    result = CallResult(call=None)
    proposal = intake.proposal
    cycle = intake.cycle
    if intake.outcome == CallOutcome.NEW_PROPOSAL:
        values = {"title": (intake.title or "").strip() or title_from_complaint(complaint), "body": complaint,
                  "category": intake.category, "district": intake.district, "address": intake.address or "",
                  "latitude": intake.latitude, "longitude": intake.longitude, "estimated_cost_cents": None}
        proposal = proposal_services.save_proposal(agent, cycle, values, submit=True, channel="phone")
        result.claim_code = _new_claim_code(proposal)
    elif intake.outcome == CallOutcome.ATTACHED:
        cycle = proposal.cycle
    else:
        cycle = next(iter(open_cycles()), None)
    if caller is not None and proposal is not None:
        _attach(caller, proposal, intake.phone_support and intake.outcome == CallOutcome.ATTACHED)
    service = intake.service if intake.outcome == CallOutcome.NOT_PB else None
    call = Call(agent_id=agent.id, outcome=intake.outcome, proposal_id=proposal.id if proposal else None,
                caller_id=caller.id if caller else None, cycle_id=cycle.id if cycle else None,
                service_id=service.id if service else None, service_name=service.name_fr if service else "",
                district_id=getattr(intake.district, "id", None), category_id=getattr(intake.category, "id", None),
                language=intake.language, consent=caller is not None, complaint=complaint)
    db.session.add(call)
    db.session.flush()
    result.call = call
    audit.record(agent, "call.logged", call, channel="phone", outcome=intake.outcome.value,
                 proposal=call.proposal_id, caller=call.caller_id, consent=call.consent)
    if result.claim_code and caller is not None and caller.email:
        _send(caller, "claim_code", _l("Your proposal to the participatory budget"), proposal=proposal,
              code=result.claim_code, claim_url=absolute_url("/callcenter/claim"))
    return result


def is_open_proposal(proposal: Proposal) -> bool:
    return (proposal.status in PUBLIC_STATUSES and proposal.hidden_at is None
            and phase_of(proposal.cycle) not in (None, PhaseKind.CLOSED))


def phone_support_open(proposal: Proposal) -> bool:
    return (proposal.cycle.phone_supports and allows(phase_of(proposal.cycle), "support")
            and proposal.status == S.SUBMITTED and proposal.hidden_at is None)


def _attach(caller: Caller, proposal: Proposal, phone_support: bool) -> CallerInterest:
    interest = db.session.scalar(select(CallerInterest).where(CallerInterest.caller_id == caller.id,
                                                              CallerInterest.proposal_id == proposal.id))
    if interest is None:
        interest = CallerInterest(caller_id=caller.id, proposal_id=proposal.id)
        db.session.add(interest)
    if phone_support and not interest.phone_support:
        interest.phone_support = True
        db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                           .values(supports_count=Proposal.supports_count + 1))
        db.session.refresh(proposal, ["supports_count"])
    db.session.flush()
    return interest


# --- Claim codes ------------------------------------------------------------------------------------------------------

def _claim_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_claim_code(proposal: Proposal) -> str:
    raw = "".join(secrets.choice(CLAIM_ALPHABET) for _ in range(CLAIM_LENGTH))
    code = "-".join(raw[i:i + 4] for i in range(0, CLAIM_LENGTH, 4))
    db.session.add(ClaimCode(proposal_id=proposal.id, code_hash=_claim_hash(code)))
    return code


def normalise_claim_code(text: str) -> str:
    raw = "".join(c for c in (text or "").upper() if c.isalnum()).translate(_CLAIM_READING)
    if len(raw) != CLAIM_LENGTH or any(c not in CLAIM_ALPHABET for c in raw):
        raise ServiceError(_l("A claim code has 12 letters and digits, for example 7KQM-3XWD-9HPA."), field="code")
    return "-".join(raw[i:i + 4] for i in range(0, CLAIM_LENGTH, 4))


def claim_proposal(user, text: str) -> Proposal:
    """The resident who phoned becomes the author of the proposal entered for them. A code works once."""
    ensure_can_write(user)
    code = normalise_claim_code(text)
    row = db.session.scalar(select(ClaimCode).where(ClaimCode.code_hash == _claim_hash(code)))
    invalid = ServiceError(_l("This code is not valid or has already been used."), field="code")
    if row is None or row.used_at is not None:
        raise invalid
    taken = db.session.execute(update(ClaimCode).where(ClaimCode.id == row.id, ClaimCode.used_at.is_(None))
                               .values(used_at=utcnow(), used_by_id=user.id)
                               .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise invalid
    proposal = row.proposal
    if proposal.author_id is not None:
        raise invalid
    proposal.author_id = user.id
    proposal.author = user
    proposal_services.follow(user, proposal, by_email=False)
    audit.record(user, "proposal.claimed", proposal, channel="web")
    db.session.flush()
    return proposal


# --- Callbacks --------------------------------------------------------------------------------------------------------

def status_changed(proposal: Proposal, status: ProposalStatus, reason: str = "") -> int:
    """Called by ``proposals.services.change_status``: a callback task per consenting caller linked to the proposal.

    A merged proposal's callers also become interested parties of the project it was merged into.
    """
    status = ProposalStatus(status)
    if status not in CALLBACK_STATUSES:
        return 0
    if status == S.MERGED and proposal.merged_into_id is not None:
        for caller in _linked_callers(proposal):
            _attach(caller, db.session.get(Proposal, proposal.merged_into_id), phone_support=False)
    return _create_tasks(proposal, f"status:{status.value}", reason.strip())


def voting_opened(proposals) -> int:
    """Called by ``review.services.freeze_ballot``: voting opens on these projects."""
    return sum(_create_tasks(proposal, VOTING_OPENED, "") for proposal in proposals)


def _linked_callers(proposal: Proposal) -> list[Caller]:
    return list(db.session.scalars(
        select(Caller).join(CallerInterest, CallerInterest.caller_id == Caller.id)
        .where(CallerInterest.proposal_id == proposal.id, Caller.erased_at.is_(None)).order_by(Caller.id)))


def _create_tasks(proposal: Proposal, event: str, detail: str) -> int:
    callers = _linked_callers(proposal)
    if not callers:
        return 0
    done = set(db.session.scalars(select(CallbackTask.caller_id).where(CallbackTask.proposal_id == proposal.id,
                                                                      CallbackTask.event == event)))
    created = 0
    for caller in callers:
        if caller.id in done:
            continue
        by_email = caller.preferred_contact == ContactPreference.EMAIL and bool(caller.email)
        task = CallbackTask(caller_id=caller.id, proposal_id=proposal.id, event=event, news_detail=detail[:TEXT_MAX],
                            channel=ContactPreference.EMAIL if by_email else ContactPreference.PHONE,
                            language=caller.language, due_on=_today())
        try:
            with db.session.begin_nested():  # the unique constraint is the guard against a concurrent twin
                db.session.add(task)
        except IntegrityError:
            continue
        if by_email:
            _send(caller, "callback", _l("News about the proposal you told us about"), task=task,
                  proposal=proposal, news=news_text(task, caller.language),
                  link=absolute_url(proposal_services.proposal_url(proposal)))
            task.status = TaskStatus.DONE
            task.closed_at = utcnow()
            task.last_outcome = "emailed"
        created += 1
    db.session.flush()
    return created


def _send(caller: Caller, template: str, subject, **context) -> None:
    with force_locale(caller.language or "fr"):
        # The template alone, without the page's context processors: the worker and the demo have no request.
        body = current_app.jinja_env.get_template(f"callcenter/email/{template}.txt").render(caller=caller, **context)
        queue_mail(caller.email, str(subject), body)


def news_text(task: CallbackTask, locale: str | None = None) -> str:
    """The news to give, in ``locale`` (the reader's by default)."""
    proposal = task.proposal
    title = proposal.display_title

    def text():
        if task.event == VOTING_OPENED:
            return gettext("Voting is open: “%(title)s” is on the ballot.", title=title)
        status = ProposalStatus(task.event.split(":", 1)[1])
        if status == S.MERGED and proposal.merged_into is not None:
            message = gettext("“%(title)s” has been merged into “%(target)s”: the caller now follows that project.",
                              title=title, target=proposal.merged_into.display_title)
        else:
            message = gettext("“%(title)s” is now: %(status)s.", title=title,
                              status=proposal_services.status_label(status))
        return message + (f"\n{task.news_detail}" if task.news_detail else "")

    if locale is None:
        return text()
    with force_locale(locale):
        return text()


TASK_STATUS_LABELS = {
    TaskStatus.OPEN: _l("To do"),
    TaskStatus.IN_PROGRESS: _l("Being made"),
    TaskStatus.DONE: _l("Done"),
    TaskStatus.FAILED: _l("Closed without reaching the caller"),
    TaskStatus.CANCELLED: _l("Cancelled"),
}


def task_status_label(status) -> str:
    return str(TASK_STATUS_LABELS[TaskStatus(status)])


def event_label(event: str) -> str:
    """The event a callback is about, in a few words."""
    if event == VOTING_OPENED:
        return gettext("Voting is open")
    return proposal_services.status_label(event.split(":", 1)[1])


def callback_queue(limit: int = 200) -> list[CallbackTask]:
    """Phone callbacks still to make, by due date then language."""
    return list(db.session.scalars(
        select(CallbackTask).where(CallbackTask.channel == ContactPreference.PHONE,
                                   CallbackTask.status.in_((TaskStatus.OPEN, TaskStatus.IN_PROGRESS)))
        .order_by(CallbackTask.due_on, CallbackTask.language, CallbackTask.id).limit(limit)))


def _stale_before() -> datetime:
    return utcnow() - timedelta(hours=current_app.config["CALLCENTER_TASK_HOLD_HOURS"])


def take_task(agent, task: CallbackTask) -> CallbackTask:
    """The agent takes a callback. One conditional UPDATE: of two agents at the same moment, one gets it.

    A task held longer than ``CALLCENTER_TASK_HOLD_HOURS`` (an agent who left) can be taken again. On SQLite the
    transaction takes the write lock first (the caller ended its read transaction), so agents queue, never fail.
    """
    begin_write()
    _require(agent, "callbacks")
    ensure_can_write(agent)
    if task.status == TaskStatus.IN_PROGRESS and task.taken_by_id == agent.id:
        return task
    now = utcnow()
    taken = db.session.execute(
        update(CallbackTask)
        .where(CallbackTask.id == task.id, CallbackTask.channel == ContactPreference.PHONE,
               (CallbackTask.status == TaskStatus.OPEN)
               | ((CallbackTask.status == TaskStatus.IN_PROGRESS) & (CallbackTask.taken_at < _stale_before())))
        .values(status=TaskStatus.IN_PROGRESS, taken_by_id=agent.id, taken_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(task)
    if taken != 1:
        if task.status == TaskStatus.IN_PROGRESS:
            raise ServiceError(_l("Another agent is already making this callback."))
        raise ServiceError(_l("This callback is already closed."))
    audit.record(agent, "callback.taken", task, channel="phone")
    return task


def release_task(agent, task: CallbackTask) -> None:
    """Put a task one has taken back in the queue."""
    _require(agent, "work_task", task, _l("Only the agent who took this callback can put it back."))
    _close_or_reopen(agent, task, status=TaskStatus.OPEN, outcome="")
    audit.record(agent, "callback.released", task, channel="phone")


def record_attempt(agent, task: CallbackTask, outcome: AttemptOutcome) -> CallbackTask:
    """What came of a callback. Reached or voicemail: done. No answer: again tomorrow, closed after three tries.
    Wrong number: closed. The caller asks to stop: closed, and the caller's contact data are erased."""
    begin_write()
    _require(agent, "work_task", task, _l("This callback is being made by another agent: only they can close it."))
    outcome = AttemptOutcome(outcome)
    attempts = task.attempts
    due_on = task.due_on
    if outcome in (AttemptOutcome.REACHED, AttemptOutcome.VOICEMAIL):
        status = TaskStatus.DONE
    elif outcome == AttemptOutcome.NO_ANSWER:
        attempts += 1
        status = TaskStatus.FAILED if attempts >= MAX_ATTEMPTS else TaskStatus.OPEN
        due_on = _today() + timedelta(days=1)
    elif outcome == AttemptOutcome.WRONG_NUMBER:
        status = TaskStatus.FAILED
    else:
        status = TaskStatus.CANCELLED
    _close_or_reopen(agent, task, status=status, outcome=outcome.value, attempts=attempts, due_on=due_on)
    audit.record(agent, "callback.attempt", task, channel="phone", outcome=outcome.value, attempts=attempts,
                 status=status.value)
    if outcome == AttemptOutcome.STOP and task.caller is not None:
        _erase(agent, task.caller, "caller.stopped")
    return task


def _close_or_reopen(agent, task: CallbackTask, *, status: TaskStatus, outcome: str, **values) -> None:
    """Apply an agent's decision only if the task is still theirs (guards a double submission or a late click)."""
    closing = status in (TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.CANCELLED)
    changed = db.session.execute(
        update(CallbackTask)
        .where(CallbackTask.id == task.id, CallbackTask.status == TaskStatus.IN_PROGRESS,
               CallbackTask.taken_by_id == agent.id)
        .values(status=status, last_outcome=outcome or CallbackTask.last_outcome,
                taken_by_id=agent.id if closing else None, taken_at=None if not closing else CallbackTask.taken_at,
                closed_at=utcnow() if closing else None, closed_by_id=agent.id if closing else None, **values)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ServiceError(_l("This callback has changed in the meantime: please reload the queue."))
    db.session.refresh(task)


# --- Callers' personal data -------------------------------------------------------------------------------------------

def view_caller(actor, caller: Caller, purpose: str = "record") -> Caller:
    """Every read of a caller's record is audited (who, when, why)."""
    _require(actor, "callers")
    audit.record(actor, "caller.viewed", caller, channel="web", purpose=purpose)
    db.session.flush()
    return caller


def find_caller(actor, phone: str) -> Caller | None:
    _require(actor, "callers")
    number = normalise_phone(phone)
    caller = db.session.scalar(select(Caller).where(Caller.phone == number))
    audit.record(actor, "caller.looked_up", caller if caller else None, found=caller is not None)
    db.session.flush()
    return caller


def forget_caller(actor, caller: Caller) -> None:
    """The caller's request to be forgotten: contact data erased, their words blanked, pending callbacks cancelled.
    Anonymous statistics stay (calls, outcomes, supports)."""
    _require(actor, "callers")
    ensure_can_write(actor)
    if caller.erased:
        return
    _erase(actor, caller, "caller.forgotten")


def _erase(actor, caller: Caller, action: str) -> None:
    now = utcnow()
    caller.name = caller.phone = caller.email = None
    caller.erased_at = now
    db.session.flush()
    db.session.execute(update(Call).where(Call.caller_id == caller.id).values(complaint="")
                       .execution_options(synchronize_session=False))
    db.session.execute(
        update(CallbackTask).where(CallbackTask.caller_id == caller.id,
                                   CallbackTask.status.in_((TaskStatus.OPEN, TaskStatus.IN_PROGRESS)))
        .values(status=TaskStatus.CANCELLED, closed_at=now, closed_by_id=getattr(actor, "id", None),
                taken_by_id=None, taken_at=None).execution_options(synchronize_session=False))
    audit.record(actor, action, caller, channel="web" if actor is not None else "worker")
    db.session.flush()


def purge_expired(now: datetime | None = None, months: int | None = None) -> int:
    """Erase the contact data of callers whose budgets all closed more than ``months`` months ago (config
    ``CALLCENTER_RETENTION_MONTHS``); callers linked to no proposal expire that long after their consent.
    The request of every call of those budgets (or of no budget) is blanked too; calls keep their counts.
    For ``flask pb purge`` and any scheduled job; the caller commits. Returns how many callers were erased."""
    now = as_utc(now or utcnow())
    months = current_app.config["CALLCENTER_RETENTION_MONTHS"] if months is None else months
    limit = months_before(now, months)
    closed = {cycle_id: as_utc(starts) for cycle_id, starts in db.session.execute(
        select(Phase.cycle_id, Phase.starts_at).where(Phase.kind == PhaseKind.CLOSED))}
    callers = db.session.scalars(select(Caller).where(Caller.erased_at.is_(None)).order_by(Caller.id)).all()
    links: dict[int, list[int]] = {}
    for caller_id, cycle_id in db.session.execute(
            select(CallerInterest.caller_id, Proposal.cycle_id)
            .join(Proposal, Proposal.id == CallerInterest.proposal_id)):
        links.setdefault(caller_id, []).append(cycle_id)
    erased = 0
    for caller in callers:
        cycles = links.get(caller.id, [])
        if cycles:
            expired = all(cycle_id in closed and closed[cycle_id] <= limit for cycle_id in cycles)
        else:
            expired = as_utc(caller.consent_at) <= limit
        if expired:
            _erase(None, caller, "caller.expired")
            erased += 1
    # The words of calls without consent may name people too: blanked on the same schedule.
    expired_cycles = [cycle_id for cycle_id, starts in closed.items() if starts <= limit]
    db.session.execute(update(Call).where(Call.created_at <= limit, Call.complaint != "",
                                          Call.cycle_id.is_(None) | Call.cycle_id.in_(expired_cycles))
                       .values(complaint="").execution_options(synchronize_session=False))
    return erased


purge.register("callers", "Callers erased", lambda now: purge_expired(now))


# --- Talking points and what can be promised --------------------------------------------------------------------------

NO_CYCLE = "none"
TALKING_POINT_KEYS = (PhaseKind.SUBMISSION.value, PhaseKind.REVIEW.value, PhaseKind.VOTING.value,
                      PhaseKind.RESULTS.value, PhaseKind.IMPLEMENTATION.value, NO_CYCLE)
DEFAULT_TALKING_POINTS = {
    "submission": _l("Ideas are being collected right now. Your request can become a proposal to the participatory "
                     "budget: I can enter it for you now, and we will call you back when the city has studied it."),
    "review": _l("The city is studying the proposals of this year's participatory budget. New ideas are closed, but "
                 "I can link you to a similar proposal and we will call you back when the city decides."),
    "voting": _l("Residents are voting on the projects of the participatory budget. You can vote online, at a "
                 "town hall or by phone. We will call you back with the results."),
    "results": _l("The vote is over and the winning projects are published. I can tell you how a project did, and "
                  "we will call you back when work starts."),
    "implementation": _l("The selected projects are being carried out. I can tell you how a project is doing, and "
                         "we will call you back when it is done."),
    NO_CYCLE: _l("No participatory budget is open at the moment. The next one will be announced by the city; until "
                 "then your request goes to the city service in charge."),
}


def talking_point_label(key: str) -> str:
    return gettext("When no budget is open") if key == NO_CYCLE else phase_label(key)


def _talking_point_row(key: str) -> TalkingPoint | None:
    return db.session.scalar(select(TalkingPoint).where(TalkingPoint.phase == key))


def talking_point(key: str, locale: str | None = None, row: TalkingPoint | None = None) -> str:
    """The officials' text for this phase in ``locale`` (else French), or the built-in text in ``locale``."""
    if key not in DEFAULT_TALKING_POINTS:
        key = NO_CYCLE
    row = row if row is not None else _talking_point_row(key)
    locale = locale or str(_current_locale())
    if row is not None:
        for code in (locale, "fr"):
            value = getattr(row, f"text_{code}", "")
            if value:
                return value
    return default_talking_point(key, locale)


def default_talking_point(key: str, locale: str) -> str:
    with force_locale(locale):
        return str(DEFAULT_TALKING_POINTS[key])


def _current_locale():
    from flask_babel import get_locale

    return get_locale() or "fr"


def talking_points() -> list[tuple[str, str, TalkingPoint | None]]:
    rows = {row.phase: row for row in db.session.scalars(select(TalkingPoint))}
    return [(key, talking_point_label(key), rows.get(key)) for key in TALKING_POINT_KEYS]


def save_talking_point(actor, key: str, values: dict) -> TalkingPoint:
    """``values``: text_fr, text_en, text_nl; an empty text means the built-in one."""
    _require(actor, "manage", message=_l("Only an official can change the talking points."))
    if key not in TALKING_POINT_KEYS:
        raise ServiceError(_l("Unknown phase."))
    cleaned = {name: (values.get(name) or "").strip() for name in ("text_fr", "text_en", "text_nl")}
    for name, value in cleaned.items():
        if len(value) > TEXT_MAX:
            raise ServiceError(_l("A text must have at most %(max)d characters.", max=TEXT_MAX), field=name)
    row = _talking_point_row(key)
    if row is None:
        row = TalkingPoint(phase=key)
        db.session.add(row)
    for name, value in cleaned.items():
        setattr(row, name, value)
    db.session.flush()
    audit.record(actor, "talking_point.updated", row, phase=key)
    return row


@dataclass
class CycleBrief:
    cycle: Cycle
    phase: PhaseKind | None
    ends_at: datetime | None
    promises: list[str]
    talking_point: str


def promises(cycle: Cycle, phase: PhaseKind | None, ends_at: datetime | None) -> list[str]:
    """What an agent can promise a caller in this phase, in the reader's language."""
    until = format_date(ends_at, "long") if ends_at else ""
    items = []
    if allows(phase, "submit_proposal"):
        items.append(gettext("You can enter a new proposal for the caller now (until %(date)s).", date=until)
                     if until else gettext("You can enter a new proposal for the caller now."))
    if allows(phase, "support"):
        items.append(gettext("The caller can support a proposal by phone.") if cycle.phone_supports
                     else gettext("Supports are given online only in this budget."))
    if phase == PhaseKind.REVIEW:
        items.append(gettext("New proposals are closed: attach the caller to an existing proposal."))
    if allows(phase, "vote"):
        items.append(gettext("Voting is open (until %(date)s).", date=until) if until
                     else gettext("Voting is open."))
    if allows(phase, "track"):
        items.append(gettext("The results are public: you can tell the caller how a project is doing."))
    items.append(gettext("With the caller's consent, we call them back when their proposal moves forward."))
    return items


def cycle_briefs(now=None) -> list[CycleBrief]:
    briefs = []
    for cycle in open_cycles(now):
        phase = phase_of(cycle, now)
        window = current_window(cycle, now)
        ends = window.ends_at if window else None
        briefs.append(CycleBrief(cycle, phase, ends, promises(cycle, phase, ends),
                                 talking_point(phase.value if phase else NO_CYCLE)))
    return briefs


def submission_cycles(now=None) -> list[Cycle]:
    return [c for c in open_cycles(now) if allows(phase_of(c, now), "submit_proposal")]


def set_phone_supports(actor, cycle: Cycle, allowed: bool) -> None:
    _require(actor, "manage", message=_l("Only an official can change this setting."))
    if cycle.phone_supports == allowed:
        return
    cycle.phone_supports = allowed
    audit.record(actor, "cycle.phone_supports_changed", cycle, after=allowed)
    db.session.flush()


# --- Search -----------------------------------------------------------------------------------------------------------

SEARCH_LIMIT = 15


def search_open_proposals(query: str, limit: int = SEARCH_LIMIT) -> list[Proposal]:
    """Proposals of the open budgets whose title, text, district or address has every word of ``query``."""
    cycle_ids = [c.id for c in open_cycles()]
    if not cycle_ids or not (query or "").strip():
        return []
    clause = search_clause(Proposal.__table__, query[:100], db.session.get_bind().dialect.name)
    if clause is None:
        return []
    return list(db.session.scalars(
        select(Proposal).where(clause, Proposal.cycle_id.in_(cycle_ids), Proposal.status.in_(PUBLIC_STATUSES),
                               Proposal.hidden_at.is_(None))
        .order_by(Proposal.supports_count.desc(), Proposal.id.desc()).limit(limit)).unique())


# --- Municipal services -----------------------------------------------------------------------------------------------

def municipal_services(active_only: bool = False) -> list[MunicipalService]:
    query = select(MunicipalService).order_by(MunicipalService.name_fr)
    if active_only:
        query = query.where(MunicipalService.active.is_(True))
    return list(db.session.scalars(query))


def save_service(actor, values: dict, service: MunicipalService | None = None) -> MunicipalService:
    """``values``: name_fr and answer_fr (required), name_en, name_nl, answer_en, answer_nl."""
    _require(actor, "manage", message=_l("Only an official can manage the list of city services."))
    names = ("name_fr", "name_en", "name_nl", "answer_fr", "answer_en", "answer_nl")
    cleaned = {name: (values.get(name) or "").strip() for name in names}
    if not cleaned["name_fr"]:
        raise ServiceError(_l("Please give the service's name in French."), field="name_fr")
    if not cleaned["answer_fr"]:
        raise ServiceError(_l("Please write the answer in French."), field="answer_fr")
    for name in names:
        maximum = NAME_MAX if name.startswith("name") else TEXT_MAX
        if len(cleaned[name]) > maximum:
            raise ServiceError(_l("This text must have at most %(max)d characters.", max=maximum), field=name)
    created = service is None
    if created:
        service = MunicipalService()
        db.session.add(service)
    for name, value in cleaned.items():
        setattr(service, name, value)
    db.session.flush()
    audit.record(actor, "municipal_service.created" if created else "municipal_service.updated", service)
    return service


def set_service_active(actor, service: MunicipalService, active: bool) -> None:
    _require(actor, "manage", message=_l("Only an official can manage the list of city services."))
    service.active = active
    audit.record(actor, "municipal_service.activated" if active else "municipal_service.deactivated", service)
    db.session.flush()


# --- Officials' dashboard (counts only) -------------------------------------------------------------------------------

@dataclass
class Dashboard:
    days: list  # (date, {outcome: count}, total), newest first
    totals: dict
    calls: int
    proposal_share: float | None
    callbacks: dict
    phone_proposals: dict
    days_shown: int


VOTE_FATES = {
    "waiting": (S.SUBMITTED, S.UNDER_REVIEW),
    "on_ballot": (S.FEASIBLE,),
    "not_feasible": (S.NOT_FEASIBLE,),
    "merged": (S.MERGED,),
    "withdrawn": (S.WITHDRAWN,),
    "selected": (S.SELECTED, S.IN_PROGRESS, S.DONE),
    "not_selected": (S.NOT_SELECTED,),
}


def dashboard(actor, days: int = 30) -> Dashboard:
    _require(actor, "dashboard", message=_l("Only an official can see the call-center dashboard."))
    since = utcnow() - timedelta(days=days)
    per_day: dict[date, dict] = {}
    totals = dict.fromkeys(CallOutcome, 0)
    tz = local_now().tzinfo
    for created_at, outcome in db.session.execute(select(Call.created_at, Call.outcome)
                                                  .where(Call.created_at >= since)):
        day = as_utc(created_at).astimezone(tz).date()
        per_day.setdefault(day, dict.fromkeys(CallOutcome, 0))[CallOutcome(outcome)] += 1
        totals[CallOutcome(outcome)] += 1
    calls = sum(totals.values())
    rows = [(day, counts, sum(counts.values())) for day, counts in sorted(per_day.items(), reverse=True)]
    today = _today()
    phone_tasks = select(func.count()).select_from(CallbackTask).where(
        CallbackTask.channel == ContactPreference.PHONE)
    pending = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
    callbacks = {
        "due": db.session.scalar(phone_tasks.where(CallbackTask.status.in_(pending), CallbackTask.due_on == today)),
        "late": db.session.scalar(phone_tasks.where(CallbackTask.status.in_(pending), CallbackTask.due_on < today)),
        "later": db.session.scalar(phone_tasks.where(CallbackTask.status.in_(pending), CallbackTask.due_on > today)),
        "done": db.session.scalar(phone_tasks.where(CallbackTask.status == TaskStatus.DONE)),
        "failed": db.session.scalar(phone_tasks.where(CallbackTask.status == TaskStatus.FAILED)),
        "cancelled": db.session.scalar(phone_tasks.where(CallbackTask.status == TaskStatus.CANCELLED)),
        "emailed": db.session.scalar(select(func.count()).select_from(CallbackTask)
                                     .where(CallbackTask.channel == ContactPreference.EMAIL)),
    }
    statuses = dict(db.session.execute(select(Proposal.status, func.count()).where(Proposal.channel == "phone")
                                       .group_by(Proposal.status)).all())
    fates = {fate: sum(statuses.get(s, 0) for s in members) for fate, members in VOTE_FATES.items()}
    fates["total"] = sum(count for status, count in statuses.items() if status != S.DRAFT)
    return Dashboard(days=rows, totals=totals, calls=calls,
                     proposal_share=(totals[CallOutcome.NEW_PROPOSAL] / calls) if calls else None,
                     callbacks=callbacks, phone_proposals=fates, days_shown=days)


def recent_calls(actor, limit: int = 100) -> list[Call]:
    _require(actor, "console")
    return list(db.session.scalars(select(Call).order_by(Call.id.desc()).limit(limit)))


def caller_history(caller: Caller) -> tuple[list[Call], list[CallbackTask]]:
    calls = db.session.scalars(select(Call).where(Call.caller_id == caller.id).order_by(Call.id.desc())).all()
    tasks = db.session.scalars(select(CallbackTask).where(CallbackTask.caller_id == caller.id)
                               .order_by(CallbackTask.id.desc())).all()
    return list(calls), list(tasks)


def agent_name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else ""
