"""Voting: ballot rules, casting a ballot, changing it with the receipt code, checking a receipt.

How one-person-one-vote and secrecy hold together (see "The ballot" in DESIGN.md):

- ``cast`` writes, in one savepoint, a ``Participation`` row (who voted, unique per cycle and voter in the database)
  and one anonymous ``Ballot`` per envelope (random id, day, envelope, keyed hash of the receipt code). A second
  attempt, however concurrent and whatever the channel, hits the unique constraint: the savepoint is rolled back,
  nothing half-written remains, and the voter reads "You have already voted in this budget.".
- The receipt code is random (80 bits), returned once and never stored: each ballot keeps only
  HMAC-SHA256(SECRET_KEY, cycle|envelope|code), so the code finds the ballots, the ballots never find the voter.
- SQLite serialises writers. A transaction that reads and then writes can be refused at once, without waiting,
  when another writer committed in between (SQLITE_BUSY_SNAPSHOT, reported as "database is locked"). Casting
  therefore starts its own transaction with BEGIN IMMEDIATE (``begin_write``): it takes the write lock first and
  waits for it (busy timeout, see ``app._sqlite_pragmas``), then reads and writes. PostgreSQL needs nothing of the
  kind: concurrent inserts of the same (cycle, voter) wait for each other on the unique index, and all but one fail.

The voter and the actor are two things. A ``Voter`` is the verified person whose vote is recorded (its ``key``
is what the participation register is unique on); the ``actor`` is the signed-in account that acts: the voter's own
account on the web, the staff member who enters a paper or phone ballot. Permissions and the audit log follow the
actor; one-person-one-vote follows the voter.

API for other channels (paper ballots, voting codes, the call center):

- ``Voter(key, district_id, birth_year=None, account=None)``: frozen. Keys: ``"census:<hmac>"`` for a person found
  in the census (an account bound to a census entry, or a paper voter checked at a polling station; the hmac is
  ``CensusEntry.identifier_hash``), ``"code:<id>"`` for a voting code, else ``"user:<id>"`` for an account.
  ``district_id`` is the home district (the envelope they vote in besides the city-wide one); ``birth_year`` comes
  from the census, else from the account's declaration; ``account`` is the User, or None (paper, code).
- ``voter_for_account(user)``: the Voter of a signed-in account (its census entry when it has bound one).
- ``voter_for_census(entry)``: the Voter of a census entry met in person (paper), without an account.
- ``voter_of(who)``: a Voter as is, or an account's Voter; the reading functions below accept either.
- ``check_voter(actor, cycle, channel)``: may ``actor`` act on this channel now (phase by the server's clock; on
  the web a confirmed, writable account; paper and phone: city staff). Raises NotAllowed.
- ``check_eligible(voter, cycle)``: may this person vote in this cycle (census required, minimum age). Raises
  NotAllowed naming why.
- ``participation_of(voter, cycle)``: the register row (with its channel) or None.
- ``cast(actor, cycle, choices, channel=..., voter=..., station=...)``: writes participation and ballots in one
  savepoint and returns the receipt code; ``voter`` defaults to the actor's own identity (web). Every channel other
  than the web is audited as "vote.recorded" with the actor, channel and voter key, never the choices.
- ``ballots_for_change`` / ``change_ballot``: the same ``voter`` argument (defaulting to the actor's identity).

Services take the acting user, flush, and leave the commit to the caller.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import Role, User
from app.accounts.services import ensure_can_write
from app.core import audit
from app.core.clock import as_utc, local_now, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.i18n import euros
from app.cycles.models import Cycle, District, PhaseKind
from app.cycles.phases import allows
from app.cycles.services import phase_of
from app.extensions import db
from app.proposals.models import BallotItem
from app.voting import census
from app.voting.models import Ballot, BallotChoice, BallotKind, BallotRules, Participation, VoteChannel
from app.voting.permissions import can

BUILT_KINDS = (BallotKind.APPROVAL, BallotKind.KNAPSACK)
DEFAULT_RULES = {"kind": BallotKind.APPROVAL, "min_choices": 1, "max_choices": 5, "min_share_percent": None}
MAX_CHOICES_LIMIT = 1000
# Staff who may record someone else's vote (phone, paper).
RECORDING_ROLES = frozenset({Role.OFFICIAL, Role.AGENT})

# Receipt codes: Crockford's base 32 (no I, L, O, U, which people misread), 16 symbols = 80 bits, in groups of 4.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16
_RECEIPT_READING = str.maketrans({"O": "0", "I": "1", "L": "1"})
_RECEIPT_SEPARATORS = re.compile(r"[\s\-_.·]+")


ALREADY_VOTED = _l("You have already voted in this budget.")


class BallotInvalid(ServiceError):
    """Choices that break the ballot rules. ``errors`` maps an envelope key (district id, None for the city-wide
    envelope) to the translated messages naming each broken rule."""

    def __init__(self, errors: dict):
        super().__init__(_l("Your ballot does not follow the rules: please correct it."))
        self.errors = errors


@dataclass(frozen=True)
class Voter:
    """The person whose vote is recorded (see the module's docstring). ``account`` is None on paper and with codes."""

    key: str
    district_id: int | None
    birth_year: int | None = None
    account: object = None


@dataclass
class VoterEnvelope:
    """One envelope a voter votes in: its key (district id, None = city-wide), name, budget and projects."""

    key: int | None
    label: str
    budget_cents: int
    items: list[BallotItem] = field(default_factory=list)

    @property
    def field_name(self) -> str:
        return "citywide" if self.key is None else f"district_{self.key}"


@dataclass
class ReceiptBallot:
    """What a receipt shows: the envelope, the day the ballot was cast and the projects recorded."""

    label: str
    day: object
    items: list[BallotItem]

    @property
    def total_cents(self) -> int:
        return sum(item.cost_cents for item in self.items)


# --- Transactions ----------------------------------------------------------------------------------------------------

def begin_write() -> None:
    """Start the session's next transaction with BEGIN IMMEDIATE on SQLite (see the module's docstring).

    Callers end their read transaction first (a view commits after loading what it needs; nothing is pending then).
    Inside a transaction already open (the tests' rolled-back session, a caller that has written) this does
    nothing: the transaction began before we could choose how.
    """
    if db.session().in_transaction() or db.engine.dialect.name != "sqlite":
        return
    db.session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})


# --- Reading ---------------------------------------------------------------------------------------------------------

def voter_key(user) -> str:
    """The key of an account that has bound no census entry."""
    return f"user:{user.id}"


def voter_for_account(user) -> Voter:
    """The Voter behind a signed-in account: its census entry once bound (key, district and year of birth from the
    census), else the account itself (``user:<id>``), its district and the year of birth it declared."""
    entry = census.entry_of_account(user)
    if entry is not None:
        return Voter(key=census.census_key(entry), district_id=entry.district_id, birth_year=entry.birth_year,
                     account=user)
    return Voter(key=voter_key(user), district_id=user.district_id, birth_year=census.declared_birth_year(user),
                 account=user)


def voter_for_census(entry) -> Voter:
    """The Voter of a census entry met in person (paper ballots): no account acts for them."""
    return Voter(key=census.census_key(entry), district_id=entry.district_id, birth_year=entry.birth_year)


def voter_of(who) -> Voter | None:
    """``who`` as a Voter: a Voter as is, an authenticated account as its own identity, else None."""
    if isinstance(who, Voter):
        return who
    if who is None or not getattr(who, "is_authenticated", False):
        return None
    return voter_for_account(who)


def participation_of(who, cycle: Cycle) -> Participation | None:
    """The register row of a voter (or an account's voter) in ``cycle``: when and through which channel."""
    voter = voter_of(who)
    if voter is None:
        return None
    return db.session.scalar(select(Participation).where(Participation.cycle_id == cycle.id,
                                                         Participation.voter_key == voter.key))


def rules_of(cycle: Cycle) -> BallotRules | None:
    return db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == cycle.id))


def rules_for(cycle: Cycle) -> BallotRules:
    """The cycle's rules, or (unsaved) the default ones: approval, 1 to 5 projects per envelope."""
    return rules_of(cycle) or BallotRules(cycle_id=cycle.id, **DEFAULT_RULES)


def ballots_cast(cycle: Cycle) -> bool:
    return bool(db.session.scalar(select(exists().where(Ballot.cycle_id == cycle.id))))


def kind_label(kind) -> str:
    return str({
        BallotKind.APPROVAL: _l("Approval: choose a number of projects"),
        BallotKind.KNAPSACK: _l("Budget: choose projects within the envelope"),
        BallotKind.CUMULATIVE: _l("Points spread among projects"),
        BallotKind.MAJORITY_JUDGMENT: _l("Majority judgment: a grade for every project"),
    }[BallotKind(kind)])


def results_published(cycle: Cycle, now=None) -> bool:
    """True once the results phase (or a later one) has started, by the server's clock."""
    now = as_utc(now or utcnow())
    return any(PhaseKind(p.kind).order >= PhaseKind.RESULTS.order and as_utc(p.starts_at) <= now
               for p in cycle.phases)


def results_start(cycle: Cycle):
    return next((as_utc(p.starts_at) for p in cycle.phases if PhaseKind(p.kind) == PhaseKind.RESULTS), None)


def voting_envelopes(cycle: Cycle) -> dict:
    """Every envelope of the cycle in which residents vote: key -> (label, budget), city-wide first."""
    envelopes = {}
    if cycle.citywide_envelope_cents is not None:
        envelopes[None] = (_l("Whole city"), cycle.citywide_envelope_cents)
    for envelope in sorted(cycle.envelopes, key=lambda e: e.district.name):
        if envelope.has_voting:
            envelopes[envelope.district_id] = (envelope.district.name, envelope.amount_cents)
    return envelopes


def needs_district(cycle: Cycle, who) -> bool:
    """The voter must tell us their district first: the cycle has district envelopes and the voter has none."""
    return voter_of(who).district_id is None and any(key is not None for key in voting_envelopes(cycle))


def envelopes_for_keys(cycle: Cycle, keys) -> list[VoterEnvelope]:
    """The given envelopes of the cycle with their frozen projects (by title), in the cycle's order."""
    wanted = set(keys)
    available = voting_envelopes(cycle)
    envelopes = [VoterEnvelope(key, label, budget) for key, (label, budget) in available.items() if key in wanted]
    if not envelopes:
        return []
    items = db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)
                               .options(selectinload(BallotItem.proposal))).all()
    by_key = {envelope.key: envelope for envelope in envelopes}
    for item in sorted(items, key=lambda i: (i.title.casefold(), i.id)):
        if item.district_id in by_key:
            by_key[item.district_id].items.append(item)
    return [envelope for envelope in envelopes if envelope.items]


def voter_envelopes(cycle: Cycle, who) -> list[VoterEnvelope]:
    """The envelopes a voter (or an account's voter) votes in: the city-wide one (if any) and their own district's
    (if it has voting)."""
    return envelopes_for_keys(cycle, [None, voter_of(who).district_id])


def district_choices() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))


# --- Checking a ballot -----------------------------------------------------------------------------------------------

def _as_id(raw) -> int | None:
    text = str(raw).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def rules_text(rules: BallotRules, envelope: VoterEnvelope) -> str:
    """The rule of one envelope in a sentence, for the ballot page."""
    low, high = rules.min_choices, rules.max_choices
    if rules.kind == BallotKind.KNAPSACK:
        if rules.min_share_percent:
            return gettext("Choose projects whose costs add up to at most %(budget)s and at least %(minimum)s.",
                           budget=euros(envelope.budget_cents),
                           minimum=euros(_minimum_spend(rules, envelope.budget_cents)))
        return gettext("Choose projects whose costs add up to at most %(budget)s.", budget=euros(envelope.budget_cents))
    if high is None:
        return gettext("Choose at least %(min)d of these projects.", min=low) if low > 1 else gettext(
            "Choose the projects you want, as many as you like.")
    if low == high:
        return gettext("Choose exactly %(num)d of these projects.", num=high)
    if low <= 1:
        return gettext("Choose up to %(max)d of these projects.", max=high)
    return gettext("Choose between %(min)d and %(max)d of these projects.", min=low, max=high)


def _euros(cents: int) -> LazyString:
    """An amount formatted when the message is shown, in the reader's language (services may run outside a
    request, where no language is chosen yet)."""
    return LazyString(euros, cents)


def _minimum_spend(rules: BallotRules, budget_cents: int) -> int:
    return -(-budget_cents * (rules.min_share_percent or 0) // 100)  # rounded up: integer arithmetic, no floats


def validate_choices(rules: BallotRules, envelope: VoterEnvelope, chosen_ids) -> list:
    """Translated messages naming each rule the choices break in ``envelope`` (empty when the ballot is valid).

    ``chosen_ids`` are ballot item ids as sent (strings or integers). Checks: ids that are no project at all,
    projects of another cycle or of another envelope, duplicates, the number of projects (approval: min and max;
    knapsack: min, and max when set), the envelope's budget (knapsack), and its minimum share (knapsack).
    """
    errors = []
    if rules.kind not in BUILT_KINDS:
        return [_l("This kind of ballot is not available yet.")]
    items = {item.id: item for item in envelope.items}
    seen, chosen, strangers, duplicates = set(), [], [], []
    for raw in chosen_ids:
        item_id = _as_id(raw)
        if item_id is None:
            errors.append(_l("“%(value)s” is not a project of this ballot.", value=str(raw)[:20]))
            continue
        if item_id in seen:
            if item_id not in duplicates:
                duplicates.append(item_id)
            continue
        seen.add(item_id)
        if item_id in items:
            chosen.append(items[item_id])
        else:
            strangers.append(item_id)
    for item_id in duplicates:
        title = items[item_id].title if item_id in items else str(item_id)
        errors.append(_l("You chose “%(title)s” more than once: each project can be chosen only once.", title=title))
    if strangers:
        known = {item.id: item for item in db.session.scalars(select(BallotItem).where(BallotItem.id.in_(strangers)))}
        for item_id in strangers:
            item = known.get(item_id)
            if item is None:
                errors.append(_l("Project no. %(number)d is not on this ballot.", number=item_id))
            elif item.cycle_id != rules.cycle_id:
                errors.append(_l("“%(title)s” is a project of another budget: it cannot be chosen here.",
                                 title=item.title))
            else:
                errors.append(_l("“%(title)s” belongs to another envelope: it cannot be chosen among the projects "
                                 "of %(envelope)s.", title=item.title, envelope=envelope.label))
    count = len(seen)
    if rules.max_choices is not None and count > rules.max_choices:
        errors.append(_l("You chose %(count)d projects; the maximum is %(max)d.", count=count, max=rules.max_choices))
    if count < rules.min_choices:
        errors.append(_l("Too few projects: you chose %(count)d, the minimum is %(min)d.", count=count,
                         min=rules.min_choices))
    if rules.kind == BallotKind.KNAPSACK:
        total = sum(item.cost_cents for item in chosen)
        if total > envelope.budget_cents:
            errors.append(_l("Your choices cost %(total)s, more than the %(budget)s of this envelope: remove a "
                             "project or choose a cheaper one.", total=_euros(total),
                             budget=_euros(envelope.budget_cents)))
        elif rules.min_share_percent and total < _minimum_spend(rules, envelope.budget_cents):
            errors.append(_l("Your choices cost %(total)s; please choose projects worth at least %(minimum)s "
                             "(%(percent)d%% of the envelope).", total=_euros(total),
                             minimum=_euros(_minimum_spend(rules, envelope.budget_cents)),
                             percent=rules.min_share_percent))
    return errors


def _validate_all(rules: BallotRules, envelopes: list[VoterEnvelope], choices_by_envelope: dict) -> dict:
    errors = {}
    known = {envelope.key for envelope in envelopes}
    for key in choices_by_envelope:
        if key not in known:
            errors[key] = [_l("You cannot vote in this envelope.")]
    for envelope in envelopes:
        problems = validate_choices(rules, envelope, choices_by_envelope.get(envelope.key) or [])
        if problems:
            errors[envelope.key] = problems
    return errors


# --- Who may vote now ------------------------------------------------------------------------------------------------

def check_voter(actor, cycle: Cycle, channel=VoteChannel.WEB) -> None:
    """Raise NotAllowed when ``actor`` cannot act on ``channel`` in ``cycle`` right now (whether or not the voter
    has voted): on the web, vote with their own account; by phone or on paper, record a vote as city staff.
    Voting codes are checked by the codes' own service, which then calls ``cast`` with channel "code"."""
    channel = VoteChannel(channel)
    if channel == VoteChannel.WEB and not can(actor, "vote"):
        raise NotAllowed(_l("Please sign in to vote."))
    if channel in (VoteChannel.PHONE, VoteChannel.PAPER) and getattr(actor, "role", None) not in RECORDING_ROLES:
        raise NotAllowed(_l("Only city staff can record a vote made by phone or on paper."))
    if not allows(phase_of(cycle), "vote"):  # the server's clock decides, whatever the client's says
        raise NotAllowed(_l("Voting is not open for this budget: ballots are accepted only during the voting "
                            "phase."))
    if actor is None:
        return
    if channel == VoteChannel.WEB and not actor.email_confirmed:
        raise NotAllowed(_l("Please confirm your email address before voting: use the link we sent you, or ask "
                            "for a new one on your account page."))
    ensure_can_write(actor)


def check_eligible(voter: Voter, cycle: Cycle) -> None:
    """Raise NotAllowed when this person may not vote in ``cycle``: the cycle requires a census entry and the
    voter has none (``census.CensusRequired``), their entry is inactive, the cycle has a minimum age and their year
    of birth is unknown (``census.BirthYearNeeded``) or too recent. Voting codes (``code:``) pass the census
    requirement: the code, handed out by the city, is the proof."""
    census.check_eligible(voter, cycle)


def ensure_ballot_frozen(cycle: Cycle) -> None:
    """Freeze the ballot now if voting is open and nobody has yet (the worker normally does it when voting opens)."""
    from app.review.services import BallotNotReady, freeze_ballot

    begin_write()
    if cycle.ballot_frozen_at is not None or not allows(phase_of(cycle), "vote"):
        return
    try:
        freeze_ballot(None, cycle)
    except BallotNotReady:
        raise ServiceError(_l("The ballot of this budget is not ready yet: please come back a little later."))


def _frozen_rules(cycle: Cycle) -> BallotRules:
    """The cycle's rules, saved (the defaults if officials set none) and frozen; read after taking the row's lock
    so that an official's edit committed just before is what this ballot is checked against."""
    rules = rules_of(cycle)
    if rules is None:
        try:
            with db.session.begin_nested():
                rules = BallotRules(cycle_id=cycle.id, **DEFAULT_RULES)
                db.session.add(rules)
        except IntegrityError:  # another ballot saved them first
            rules = rules_of(cycle)
    db.session.execute(update(BallotRules).where(BallotRules.id == rules.id, BallotRules.frozen_at.is_(None))
                       .values(frozen_at=utcnow()).execution_options(synchronize_session=False))
    db.session.refresh(rules)
    return rules


# --- Receipts --------------------------------------------------------------------------------------------------------

def readable_code(length: int) -> str:
    """A random code of ``length`` symbols of Crockford's base 32 (5 bits each, drawn with ``secrets``), in groups
    of 4 for reading aloud and copying: receipt codes, voting codes."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(length))
    return "-".join(raw[i:i + 4] for i in range(0, length, 4))


def canonical_code(text: str, length: int) -> str | None:
    """A readable code as typed (any case, spaces or dashes, O for 0, I or L for 1) in its canonical grouped form,
    or None when it is not ``length`` symbols of the alphabet."""
    raw = _RECEIPT_SEPARATORS.sub("", (text or "").upper()).translate(_RECEIPT_READING)
    if len(raw) != length or any(c not in RECEIPT_ALPHABET for c in raw):
        return None
    return "-".join(raw[i:i + 4] for i in range(0, length, 4))


def new_receipt_code() -> str:
    return readable_code(RECEIPT_LENGTH)


def normalise_receipt(text: str) -> str:
    """A receipt code as typed in its canonical form (see ``canonical_code``)."""
    code = canonical_code(text, RECEIPT_LENGTH)
    if code is None:
        raise ServiceError(_l("A receipt code has 16 letters and digits, for example 7KQM-3XWD-9HPA-RT2E."),
                           field="code")
    return code


def receipt_hash(cycle_id: int, envelope_key: int | None, code: str) -> str:
    """HMAC-SHA256 of the cycle, envelope and (canonical) code, keyed with the app's SECRET_KEY.

    One code covers the voter's ballots in every envelope, each with its own hash (the column is unique).
    """
    message = f"{cycle_id}|{'city' if envelope_key is None else envelope_key}|{code}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def _ballots_for_code(cycle: Cycle, code: str, for_update: bool = False) -> list[Ballot]:
    code = normalise_receipt(code)
    keys = [None] + [envelope.district_id for envelope in cycle.envelopes]
    hashes = [receipt_hash(cycle.id, key, code) for key in keys]
    query = (select(Ballot).where(Ballot.cycle_id == cycle.id, Ballot.receipt_hash.in_(hashes))
             .options(selectinload(Ballot.choices)))
    if for_update:
        query = query.with_for_update()
    ballots = list(db.session.scalars(query))
    if not ballots:
        raise ServiceError(_l("No ballot of this budget matches this receipt code. Please check what you typed."),
                           field="code")
    order = {key: index for index, key in enumerate(voting_envelopes(cycle))}
    return sorted(ballots, key=lambda b: order.get(b.district_id, len(order)))


def check_receipt(cycle: Cycle, code: str) -> list[ReceiptBallot]:
    """The recorded choices of the ballots a receipt code belongs to; only once the results are published."""
    if not results_published(cycle):
        raise NotAllowed(_l("Receipts can be checked once the results of this budget are published."))
    ballots = _ballots_for_code(cycle, code)
    labels = voting_envelopes(cycle)
    result = []
    for ballot in ballots:
        label = labels[ballot.district_id][0] if ballot.district_id in labels else _l("Envelope")
        items = sorted((choice.item for choice in ballot.choices), key=lambda i: (i.title.casefold(), i.id))
        result.append(ReceiptBallot(label=label, day=ballot.day, items=items))
    return result


# --- Casting and changing --------------------------------------------------------------------------------------------

def _write_ballot(ballot: Ballot, chosen_ids) -> None:
    for item_id in sorted({_as_id(raw) for raw in chosen_ids}):
        ballot.choices.append(BallotChoice(ballot_item_id=item_id))


def _resolve(actor, voter: Voter | None, channel: VoteChannel) -> Voter:
    """The voter a service acts for: given, or (on the web only) the actor's own identity."""
    if voter is not None:
        if channel == VoteChannel.WEB and (voter.account is None or voter.account.id != getattr(actor, "id", None)):
            raise NotAllowed(_l("On the web, you can only vote for yourself."))
        return voter
    if channel != VoteChannel.WEB:
        raise ServiceError(_l("Please say for whom this vote is recorded."))
    return voter_for_account(actor)


def _channel(channel) -> VoteChannel:
    try:
        return VoteChannel(channel)
    except ValueError:
        raise ServiceError(_l("Unknown voting channel."))


def cast(actor, cycle: Cycle, choices_by_envelope: dict, channel=VoteChannel.WEB, voter: Voter | None = None,
         station=None) -> str:
    """Record that ``voter`` voted and their anonymous ballots; return the receipt code (shown once, never stored).

    ``actor`` is who acts (the voter's account on the web, the staff member on paper or by phone, None with a
    voting code); ``voter`` defaults to the actor's own identity on the web. ``station`` is the polling station
    of a paper ballot (audited). ``choices_by_envelope`` maps an envelope key (district id, None = city-wide) to the
    chosen ballot item ids; an envelope left out is an empty choice there (refused unless the rules allow no
    project). The voter votes in every envelope they are entitled to. Raises NotAllowed (phase, account,
    eligibility), BallotInvalid (rules) or ServiceError ("You have already voted in this budget."); in every case
    nothing is written.
    """
    begin_write()
    channel = _channel(channel)
    check_voter(actor, cycle, channel)
    if voter is None and channel == VoteChannel.WEB:
        # Binding a census entry locks the account too (``census.bind_census``): a vote and a binding of the same
        # account never interleave, so the vote is recorded under the key the account has once both are done.
        db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    voter = _resolve(actor, voter, channel)
    if participation_of(voter, cycle) is not None:  # the common case, answered before the rules are checked
        raise ServiceError(ALREADY_VOTED)
    check_eligible(voter, cycle)
    ensure_ballot_frozen(cycle)
    if needs_district(cycle, voter):
        raise ServiceError(_l("Please choose your district before voting."))
    envelopes = voter_envelopes(cycle, voter)
    if not envelopes:
        raise ServiceError(_l("There is no project to vote for in your district in this budget."))
    code = new_receipt_code()
    today = local_now().date()
    recorded_by = actor if channel in (VoteChannel.PHONE, VoteChannel.PAPER) else None
    try:
        with db.session.begin_nested():
            rules = _frozen_rules(cycle)
            errors = _validate_all(rules, envelopes, choices_by_envelope)
            if errors:
                raise BallotInvalid(errors)
            db.session.add(Participation(cycle_id=cycle.id, voter_key=voter.key, channel=channel, day=today,
                                         recorded_by_id=recorded_by.id if recorded_by is not None else None,
                                         station_id=station.id if station is not None else None))
            db.session.flush()  # the unique (cycle, voter) constraint answers here, before any ballot is written
            for envelope in envelopes:
                ballot = Ballot(id=secrets.token_hex(16), cycle_id=cycle.id, district_id=envelope.key,
                                receipt_hash=receipt_hash(cycle.id, envelope.key, code), day=today)
                _write_ballot(ballot, choices_by_envelope.get(envelope.key) or [])
                db.session.add(ballot)
            db.session.flush()
    except IntegrityError:
        if participation_of(voter, cycle) is not None:  # a concurrent attempt won: the database said no
            raise ServiceError(ALREADY_VOTED)
        raise
    if channel != VoteChannel.WEB:
        # Who entered a vote for whom, where and through which channel; never the choices.
        details = {"voter": voter.key}
        if station is not None:
            details["station"] = station.id
        audit.record(actor, "vote.recorded", cycle, channel=channel.value, **details)
    return code


def ballots_for_change(actor, cycle: Cycle, code: str, voter: Voter | None = None
                       ) -> tuple[list[Ballot], list[VoterEnvelope]]:
    """The ballots a receipt code belongs to and their envelopes, to change them: only while voting is open,
    for a voter who has voted in this cycle (``voter`` defaults to the actor's own identity)."""
    check_voter(actor, cycle)
    voter = _resolve(actor, voter, VoteChannel.WEB)
    if participation_of(voter, cycle) is None:
        raise ServiceError(_l("You have not voted in this budget yet."))
    ballots = _ballots_for_code(cycle, code)
    return ballots, envelopes_for_keys(cycle, [ballot.district_id for ballot in ballots])


def change_ballot(actor, cycle: Cycle, receipt_code: str, new_choices: dict, voter: Voter | None = None) -> None:
    """Replace the choices of the ballots matching ``receipt_code`` (same envelopes, same receipt) until voting
    closes. The participation stays one row; the ballots keep their random ids and take today's date."""
    begin_write()
    check_voter(actor, cycle)
    voter = _resolve(actor, voter, VoteChannel.WEB)
    if participation_of(voter, cycle) is None:
        raise ServiceError(_l("You have not voted in this budget yet."))
    ballots = _ballots_for_code(cycle, receipt_code, for_update=True)
    envelopes = envelopes_for_keys(cycle, [ballot.district_id for ballot in ballots])
    rules = _frozen_rules(cycle)
    errors = _validate_all(rules, envelopes, new_choices)
    if errors:
        raise BallotInvalid(errors)
    today = local_now().date()
    with db.session.begin_nested():
        for ballot in ballots:
            ballot.choices.clear()
            ballot.day = today
        db.session.flush()  # the old choices go first: a new one may have the same (ballot, project) key
        for ballot in ballots:
            _write_ballot(ballot, new_choices.get(ballot.district_id) or [])
        db.session.flush()


def choose_district(actor, district: District | None) -> None:
    """The voter's district, asked on the voting page when the account has none; saved to their profile."""
    if district is None:
        raise ServiceError(_l("Please choose your district."), field="district")
    ensure_can_write(actor)
    actor.district_id = district.id
    actor.district = district
    db.session.flush()


# --- Ballot rules (officials) ----------------------------------------------------------------------------------------

def save_rules(actor, cycle: Cycle, kind, min_choices: int, max_choices: int | None,
               min_share_percent: int | None) -> BallotRules:
    """Set the rules of a cycle's ballot. Refused once the first ballot has been cast (the rules are frozen)."""
    begin_write()
    if not can(actor, "rules.manage"):
        raise NotAllowed(_l("Only an official can set the ballot rules."))
    frozen = _l("Ballots have already been cast in this budget: its ballot rules can no longer change.")
    try:
        kind = BallotKind(kind)
    except ValueError:
        raise ServiceError(_l("Please choose a kind of ballot from the list."), field="kind")
    if kind not in BUILT_KINDS:
        raise ServiceError(_l("This kind of ballot is not available yet."), field="kind")
    if min_choices is None or not 0 <= min_choices <= MAX_CHOICES_LIMIT:
        raise ServiceError(_l("The minimum must be a number between 0 and %(max)d.", max=MAX_CHOICES_LIMIT),
                           field="min_choices")
    if max_choices is not None and not 1 <= max_choices <= MAX_CHOICES_LIMIT:
        raise ServiceError(_l("The maximum must be a number between 1 and %(max)d.", max=MAX_CHOICES_LIMIT),
                           field="max_choices")
    if kind == BallotKind.APPROVAL and max_choices is None:
        raise ServiceError(_l("An approval ballot needs a maximum number of projects."), field="max_choices")
    if max_choices is not None and max_choices < min_choices:
        raise ServiceError(_l("The maximum cannot be smaller than the minimum."), field="max_choices")
    if kind != BallotKind.KNAPSACK:
        min_share_percent = None
    elif min_share_percent is not None and not 0 <= min_share_percent <= 100:
        raise ServiceError(_l("The minimum share is a percentage between 0 and 100."), field="min_share_percent")
    values = {"kind": kind, "min_choices": min_choices, "max_choices": max_choices,
              "min_share_percent": min_share_percent}
    rules = rules_of(cycle)
    if (rules is not None and rules.frozen_at is not None) or ballots_cast(cycle):
        raise ServiceError(frozen)
    before = None
    if rules is None:
        try:
            with db.session.begin_nested():
                rules = BallotRules(cycle_id=cycle.id, **values)
                db.session.add(rules)
        except IntegrityError:  # the first ballot saved the default rules in the meantime
            raise ServiceError(frozen)
    else:
        before = {"kind": rules.kind.value, "min_choices": rules.min_choices, "max_choices": rules.max_choices,
                  "min_share_percent": rules.min_share_percent}
        # Conditional: a ballot cast meanwhile has frozen the rules (PostgreSQL re-reads the row after the wait).
        changed = db.session.execute(update(BallotRules)
                                     .where(BallotRules.id == rules.id, BallotRules.frozen_at.is_(None))
                                     .values(**values).execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise ServiceError(frozen)
        db.session.refresh(rules)
    audit.record(actor, "voting.rules_saved", cycle, before=before, kind=kind.value, min_choices=min_choices,
                 max_choices=max_choices, min_share_percent=min_share_percent)
    db.session.flush()
    return rules
