"""Voting: ballot rules, casting a ballot, changing it with the receipt code, checking a receipt.

How one-person-one-vote and secrecy hold together (see "The ballot" in DESIGN.md):

- ``cast`` writes, in one savepoint, a ``Participation`` row (who voted, unique per cycle and voter in the database)
  and one anonymous ``Ballot`` per envelope (random id, day, envelope, keyed hash of the receipt code). A second
  attempt, however concurrent and whatever the channel, hits the unique constraint: the savepoint is rolled back,
  nothing half-written remains, and the voter reads "You have already voted in this budget.".
- The receipt code is random (80 bits), returned once and never stored: each ballot keeps only
  HMAC-SHA256(SECRET_KEY, cycle|envelope|code), so the code finds the ballots, the ballots never find the voter.
- SQLite serialises writers: casting starts its own transaction with BEGIN IMMEDIATE (see
  ``app.core.transactions``), taking the write lock first, then reads and writes. PostgreSQL needs nothing of the
  kind: concurrent inserts of the same (cycle, voter) wait for each other on the unique index, and all but one fail.

The voter and the actor are two things. A ``Voter`` is the verified person whose vote is recorded (its ``key``
is what the participation register is unique on); the ``actor`` is the signed-in account that acts: the voter's own
account on the web, the staff member who enters a paper or phone ballot. Permissions and the audit log follow the
actor; one-person-one-vote follows the voter.

API for other channels (paper ballots, voting codes, the call center):

- ``Voter(key, district_id, birth_year=None, account=None, census_active=None)``: frozen. Keys: ``"census:<hmac>"``
  for a person found in the census (an account bound to a census entry, or a paper voter checked at a polling
  station; the hmac is ``CensusEntry.identifier_hash``), ``"code:<id>"`` for a voting code, else ``"user:<id>"`` for
  an account. ``district_id`` is the home district (the envelope they vote in besides the city-wide one);
  ``birth_year`` comes from the census (or a code holder's declaration); an account outside the census declares
  its year separately, read only where a minimum age asks for it (``census.birth_year_of``); ``account`` is the
  User, or None (paper, code); ``census_active`` says whether the census entry was active when it was read with
  the voter (None: not read, ``check_eligible`` reads it). A Voter describes the person as read in the current
  transaction: read it again in the next one.
- ``voter_for_account(user)``: the Voter of a signed-in account (its census entry when it has bound one).
- ``account_standing(user, cycle)``: that Voter and its register row in the cycle, in one query.
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
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, make_dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext, lazy_ngettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import and_, bindparam, delete, event, exists, func, insert, literal, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Role, User
from app.accounts.services import ensure_can_write
from app.core import audit, copies
from app.core.clock import as_utc, local_now, utcnow
from app.core.csvfile import csv_text
from app.core.errors import NotAllowed, ServiceError
from app.core.i18n import euros
from app.core.transactions import begin_write
from app.cycles.models import Category, Cycle, District, PhaseKind
from app.cycles.phases import allows, timeline
from app.cycles.services import phase_of
from app.extensions import db
from app.proposals.models import BallotItem, Proposal, ProposalImage
from app.voting import census
from app.voting.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    BallotRules,
    CensusEntry,
    Grade,
    Participation,
    VoteChannel,
)
from app.voting.permissions import can

BUILT_KINDS = tuple(BallotKind)
# Kinds where the voter gives each project a number (points, a grade) rather than a tick.
VALUED_KINDS = (BallotKind.CUMULATIVE, BallotKind.MAJORITY_JUDGMENT)
DEFAULT_RULES = {"kind": BallotKind.APPROVAL, "min_choices": 1, "max_choices": 5, "min_share_percent": None,
                 "counting_rule": "greedy"}
MAX_CHOICES_LIMIT = 1000
MAX_POINTS = 1000  # as the database's check constraint says
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
    census_active: bool | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Photo:
    """The photo of a project on the ballot (the first image of its proposal)."""

    token: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class ItemDetails:
    """What the ballot page shows about a project besides the ballot item: its theme and photo (either may be
    None)."""

    category: object
    photo: Photo | None


@dataclass
class VoterEnvelope:
    """One envelope a voter votes in: its key (district id, None = city-wide), name, budget and projects."""

    key: int | None
    label: str
    budget_cents: int
    items: list[BallotItem] = field(default_factory=list)
    # A district the voter chose besides their own (where the rules allow one).
    added: bool = False
    # Ballot item id -> ItemDetails, when read with ``details`` (the ballot page).
    details: dict = field(default_factory=dict)

    @property
    def field_name(self) -> str:
        return "citywide" if self.key is None else f"district_{self.key}"

    def item_field(self, item) -> str:
        """The form field of one project's points or grade."""
        return f"{self.field_name}-{item.id}"


@dataclass
class ReceiptBallot:
    """What a receipt shows: the envelope, the day the ballot was cast and the projects recorded, with the points
    or grade each received (``values``: ballot item id -> ``BallotChoice.value``)."""

    label: str
    day: object
    items: list[BallotItem]
    values: dict = field(default_factory=dict)

    @property
    def total_cents(self) -> int:
        return sum(item.cost_cents for item in self.items)

    @property
    def entries(self) -> list[tuple[BallotItem, int]]:
        return [(item, self.values.get(item.id, 1)) for item in self.items]


# --- Reading ---------------------------------------------------------------------------------------------------------

def voter_key(user) -> str:
    """The key of an account that has bound no census entry."""
    return account_key(user.id)


def account_key(user_id: int) -> str:
    return f"user:{user_id}"


def voter_for_account(user) -> Voter:
    """The Voter behind a signed-in account: its census entry once bound (key, district and year of birth from the
    census), else the account itself (``user:<id>``) and its district."""
    return _account_voter(user, census.entry_of_account(user))


def _account_voter(user, entry) -> Voter:
    if entry is not None:
        return Voter(key=census.census_key(entry), district_id=entry.district_id, birth_year=entry.birth_year,
                     account=user, census_active=entry.active)
    return Voter(key=voter_key(user), district_id=user.district_id, account=user)


def voter_for_census(entry) -> Voter:
    """The Voter of a census entry met in person (paper ballots): no account acts for them."""
    return Voter(key=census.census_key(entry), district_id=entry.district_id, birth_year=entry.birth_year,
                 census_active=entry.active)


def voter_of(who) -> Voter | None:
    """``who`` as a Voter: a Voter as is, an authenticated account as its own identity, else None."""
    if isinstance(who, Voter):
        return who
    if who is None or not getattr(who, "is_authenticated", False):
        return None
    return voter_for_account(who)


# The statements a ballot runs on every page and cast, built once with bound parameters: building a statement and
# its cache key costs more than running it (SQLAlchemy then finds the compiled form in its cache).
_LOCK_ACCOUNT = select(User.id).where(User.id == bindparam("user_id")).with_for_update()


def _joined_standing(statement):
    """``statement``, on the user's row, joined to what ``account_standing`` reads: the census entry bound to the
    account, if any, and the register row of the voter in the cycle ``cycle_id``."""
    return (statement
            .outerjoin(CensusEntry, CensusEntry.user_id == User.id)
            .outerjoin(Participation, and_(
                Participation.cycle_id == bindparam("cycle_id"),
                # The entry's key when the account has bound one (NULL without an entry), else the account's.
                Participation.voter_key == func.coalesce(literal(census.CENSUS_PREFIX) + CensusEntry.identifier_hash,
                                                         bindparam("account_key")))))


_STANDING = _joined_standing(select(CensusEntry, Participation).select_from(User)).where(
    User.id == bindparam("user_id"))


def with_standing(user_statement):
    """The user loader's statement (``accounts.views.signed_in``) reading the account's standing too: its census
    entry and register row as two more columns (parameters ``cycle_id`` and ``account_key``), for a page that
    reads them at once (``remember_standing``)."""
    return _joined_standing(user_statement.add_columns(CensusEntry, Participation))


def locking(user_statement):
    """The user loader's statement taking the account's row for the rest of the transaction, as the lock of
    ``account_standing`` does (PostgreSQL), for a page whose first read is the one that casts (``remember_lock``)."""
    return user_statement.with_for_update(of=User)


# The register row unless the voter has one: the unique (cycle, voter) index answers in the same statement, which
# then inserts and returns nothing instead of failing. A failed statement would end the whole transaction on
# PostgreSQL: the insert would need a savepoint around it (two more round trips per ballot) to ask who won. Written
# out, as PostgreSQL and SQLite (3.35 and later) both read it: SQLAlchemy's ``on_conflict_do_nothing`` constructs
# have no cache key and would be compiled again at every ballot.
_INSERT_PARTICIPATION = text(
    "INSERT INTO participation (cycle_id, voter_key, channel, recorded_by_id, station_id, day) "
    "VALUES (:cycle_id, :voter_key, :channel, :recorded_by_id, :station_id, :day) "
    "ON CONFLICT (cycle_id, voter_key) DO NOTHING RETURNING id"
).bindparams(*(bindparam(column.name, type_=column.type) for column in Participation.__table__.c
               if column.name in {"cycle_id", "voter_key", "channel", "recorded_by_id", "station_id", "day"}))
_INSERT_BALLOT = insert(Ballot.__table__)
_INSERT_CHOICE = insert(BallotChoice.__table__)


def account_standing(user, cycle: Cycle, lock: bool = False) -> tuple[Voter, Participation | None]:
    """The Voter of a signed-in account (as ``voter_for_account``) and its register row in ``cycle``, in one query:
    the census entry bound to the account, if any, decides the voter key the register is searched for.

    ``lock`` first takes the account's row for the rest of the transaction, on PostgreSQL (on SQLite the writer
    already holds the whole database): binding a census entry locks the account too (``census.bind_census``), so a
    vote and a binding of the same account never interleave, and the vote is recorded under the key the account has
    once both are done. The lock is its own statement: a row locked by the reading query itself would be re-read
    after the binding commits, but the census entry joined to it would not (PostgreSQL re-checks only locked rows).

    A read is taken again only while nothing has been written since in its transaction (a vote, a census binding)
    and, when ``lock`` is asked, if it was read under the lock: the confirmation page reads the standing to build
    the ballot, then the cast (same transaction, the lock held) reuses that read."""
    key = (user.id, cycle.id)
    transaction = db.session().get_transaction()
    seen = db.session.info.get("standing")
    if seen is not None and seen[0] is transaction and seen[1] == key and (seen[3] or not lock):
        return seen[2]
    if lock and db.engine.dialect.name == "postgresql" and db.session.info.get("locked_account") != (transaction,
                                                                                                      user.id):
        db.session.execute(_LOCK_ACCOUNT, {"user_id": user.id})
    row = db.session.execute(_STANDING, {"cycle_id": cycle.id, "account_key": voter_key(user),
                                         "user_id": user.id}).first()
    return remember_standing(user, cycle, *(row if row is not None else (None, None)), locked=lock)


def remember_standing(user, cycle: Cycle, entry: CensusEntry | None, participation: Participation | None,
                      locked: bool = False) -> tuple[Voter, Participation | None]:
    """Keep the standing read (by ``account_standing`` or with the user, see ``with_standing``) for the rest of
    the transaction, until a write. ``locked``: read after the lock was taken."""
    standing = _account_voter(user, entry), participation
    db.session.info["standing"] = (db.session().get_transaction(), (user.id, cycle.id), standing, locked)
    return standing


def remember_lock(user) -> None:
    """The account's row was locked in this transaction (``locking``): ``account_standing`` need not lock it."""
    db.session.info["locked_account"] = (db.session().get_transaction(), user.id)


def _forget_standing(session, *_args) -> None:
    session.info.pop("standing", None)


def _forget_standing_on_write(state) -> None:
    if not state.is_select:
        _forget_standing(state.session)


event.listen(Session, "before_flush", _forget_standing)
event.listen(Session, "do_orm_execute", _forget_standing_on_write)


def participation_of(who, cycle: Cycle) -> Participation | None:
    """The register row of a voter (or an account's voter) in ``cycle``: when and through which channel."""
    if not isinstance(who, Voter):
        return account_standing(who, cycle)[1] if getattr(who, "is_authenticated", False) else None
    return db.session.scalar(select(Participation).where(Participation.cycle_id == cycle.id,
                                                         Participation.voter_key == who.key))


def rules_of(cycle: Cycle) -> BallotRules | None:
    return db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == cycle.id))


# Frozen rules never change again (``save_rules`` refuses, in the database too), nor do the ballot's projects (the
# freeze writes them once, in the transaction that sets ``Cycle.ballot_frozen_at``). Each process therefore keeps a
# copy of both, keyed by the cycle, the moment it was created and the moment its ballot was frozen: a cycle deleted
# and created again under the same id has other moments, and a freeze that rolls back leaves a key that no committed
# cycle will ever have. Every ballot page and every ballot cast reads them: this spares two queries each time. The
# copies are frozen dataclasses with the model's columns as attributes: shared, read-only, and cheaper to hand out
# than new ORM objects on every call.
_FROZEN_CACHE_SIZE = 256  # cycles per process; more than a city ever has open at once


def _frozen_class(model, name: str) -> type:
    cls = make_dataclass(name, [column.key for column in sa_inspect(model).column_attrs], frozen=True)
    cls.__doc__ = f"The values of a {model.__name__} row, read once its cycle's ballot was frozen (read-only)."
    return cls


FrozenRules = _frozen_class(BallotRules, "FrozenRules")
FrozenItem = _frozen_class(BallotItem, "FrozenItem")
_frozen_rules_cache: dict[tuple, object] = {}
_frozen_items_cache: dict[tuple, tuple] = {}


def _remember(cache: dict, key: tuple, value) -> None:
    if len(cache) >= _FROZEN_CACHE_SIZE:  # only a long-lived test process meets this: start again
        cache.clear()
    cache[key] = value


def _rules_key(cycle: Cycle) -> tuple:
    # The moment of creation too: SQLite may give a deleted cycle's id to the next one, and an imported cycle's
    # ballot is frozen on the hour (two imports within an hour got each other's rules).
    return (cycle.id, as_utc(cycle.created_at) if cycle.created_at else None,
            as_utc(cycle.ballot_frozen_at) if cycle.ballot_frozen_at else None)


def _cached_frozen_rules(cycle: Cycle):
    """This process's copy of the cycle's frozen rules, if it has seen them frozen."""
    return _frozen_rules_cache.get(_rules_key(cycle))


def _remember_if_frozen(cycle: Cycle, rules: BallotRules | None) -> None:
    if rules is not None and rules.frozen_at is not None and cycle.ballot_frozen_at is not None:
        _remember(_frozen_rules_cache, _rules_key(cycle), FrozenRules(
            **{column.key: getattr(rules, column.key) for column in sa_inspect(BallotRules).column_attrs}))


def ballot_items(cycle: Cycle) -> tuple:
    """The projects of the cycle's ballot as ``FrozenItem``, by title: this process's copy once the ballot is
    frozen (read once), else read now (a ballot not frozen yet has none)."""
    key = _rules_key(cycle)
    cached = _frozen_items_cache.get(key)
    if cached is not None:
        return cached
    rows = db.session.execute(select(*BallotItem.__table__.columns).where(BallotItem.cycle_id == cycle.id))
    items = tuple(sorted((FrozenItem(**row._mapping) for row in rows), key=lambda i: (i.title.casefold(), i.id)))
    if cycle.ballot_frozen_at is not None:
        _remember(_frozen_items_cache, key, items)
    return items


def rules_for(cycle: Cycle) -> BallotRules:
    """The cycle's rules, or (unsaved) the default ones: approval, 1 to 5 projects per envelope. Frozen rules come
    from this process's copy, a read-only ``FrozenRules`` (do not save or change what this returns)."""
    cached = _cached_frozen_rules(cycle)
    if cached is not None:
        return cached
    rules = rules_of(cycle)
    _remember_if_frozen(cycle, rules)
    return rules or BallotRules(cycle_id=cycle.id, **DEFAULT_RULES)


def ballots_cast(cycle: Cycle) -> bool:
    return bool(db.session.scalar(select(exists().where(Ballot.cycle_id == cycle.id))))


def kind_label(kind) -> str:
    return str({
        BallotKind.APPROVAL: _l("Approval: choose a number of projects"),
        BallotKind.KNAPSACK: _l("Budget: choose projects within the envelope"),
        BallotKind.CUMULATIVE: _l("Points: spread points among the projects"),
        BallotKind.MAJORITY_JUDGMENT: _l("Majority judgment: a grade for every project"),
    }[BallotKind(kind)])


def kind_explanation(kind) -> str:
    """What a voter does with a ballot of this kind, and how it is counted, in plain words."""
    return str({
        BallotKind.APPROVAL: _l("Each voter ticks the projects they want, between a minimum and a maximum number. "
                                "The projects with the most votes are funded, in order, while the envelope lasts."),
        BallotKind.KNAPSACK: _l("Each voter ticks projects whose costs add up to no more than the envelope, like "
                                "a budget of their own. The projects with the most votes are funded, in order, "
                                "while the envelope lasts."),
        BallotKind.CUMULATIVE: _l("Each voter has a number of points to spread among the projects, with a limit "
                                  "per project: several points on one project show stronger support. The projects "
                                  "with the most points are funded, in order, while the envelope lasts."),
        BallotKind.MAJORITY_JUDGMENT: _l("Each voter gives every project of the envelope one grade out of four, from "
                                         "“Excellent” to “To reject”. Projects are ranked by their median grade "
                                         "(the grade that at least half of the voters give or exceed) and funded "
                                         "in that order while the envelope lasts."),
    }[BallotKind(kind)])


def grade_label(grade) -> str:
    return str({
        Grade.TO_REJECT: _l("To reject"),
        Grade.ACCEPTABLE: _l("Acceptable"),
        Grade.GOOD: _l("Good"),
        Grade.EXCELLENT: _l("Excellent"),
    }[Grade(grade)])


def grades() -> list[tuple[int, str]]:
    """The grades of a majority-judgment ballot as (value, label), best first, as a voter reads them."""
    return [(int(grade), grade_label(grade)) for grade in sorted(Grade, reverse=True)]


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


def _with_details(query):
    """``query`` (of ballot items) with each project's theme and first photo as extra columns, in the same
    statement: the ballot page shows them, and neither the proposal nor its images are loaded as objects."""
    first_image = (select(ProposalImage.id).where(ProposalImage.proposal_id == BallotItem.proposal_id)
                   .order_by(ProposalImage.position, ProposalImage.id).limit(1).correlate(BallotItem)
                   .scalar_subquery())
    return (query.add_columns(Category, ProposalImage.token, ProposalImage.alt, ProposalImage.width,
                              ProposalImage.height)
            .outerjoin(Proposal, Proposal.id == BallotItem.proposal_id)
            .outerjoin(Category, Category.id == Proposal.category_id)
            .outerjoin(ProposalImage, ProposalImage.id == first_image))


def _details(row, shown=None) -> ItemDetails:
    """``shown``: category -> the object to keep (a detached copy, for this process's copies)."""
    category, token, alt, width, height = row
    if category is not None and shown is not None:
        category = shown(category)
    return ItemDetails(category, Photo(token, alt, width, height) if token else None)


def envelopes_for_keys(cycle: Cycle, keys, details: bool = True) -> list[VoterEnvelope]:
    """The given envelopes of the cycle with their frozen projects (by title), in the cycle's order.

    ``details`` also reads each project's theme and photo (``VoterEnvelope.details``), for the ballot page;
    checking a ballot needs neither.
    """
    wanted = set(keys)
    available = voting_envelopes(cycle)
    envelopes = [VoterEnvelope(key, label, budget) for key, (label, budget) in available.items() if key in wanted]
    if not envelopes:
        return []
    by_key = {envelope.key: envelope for envelope in envelopes}
    for item in ballot_items(cycle):
        envelope = by_key.get(item.district_id)
        if envelope is not None:
            envelope.items.append(item)
    envelopes = [envelope for envelope in envelopes if envelope.items]
    if details:
        load_details(envelopes)
    return envelopes


_DETAILS = _with_details(select(BallotItem.id).where(BallotItem.id.in_(bindparam("ids", expanding=True))))


# This process's copies of the themes and photos of ballots' projects (ballot item ids -> {id: ItemDetails}), which
# officials may still change while voting is open: read again once ``CYCLE_CACHE_SECONDS`` old (app.core.copies).
_details_copies = copies.ProcessCopies((Category, Proposal, ProposalImage))


def load_details(envelopes: list[VoterEnvelope]) -> None:
    """Read the themes and photos of envelopes read without them (a ballot sent back with errors): this process's
    copy if it is less than ``CYCLE_CACHE_SECONDS`` old."""
    missing = {item.id: envelope for envelope in envelopes if not envelope.details for item in envelope.items}
    if not missing:
        return
    max_age = current_app.config["CYCLE_CACHE_SECONDS"]
    key = tuple(sorted(missing))
    found = _details_copies.get(key, max_age) if max_age > 0 else None
    if found is None:
        read_at = copies.now()
        detached = {}  # category id -> its copy, one per category

        def shown(category):
            if category.id not in detached:
                detached[category.id] = copies.detached(category)
            return detached[category.id]

        found = {item_id: _details(about, shown if max_age > 0 else None)
                 for item_id, *about in db.session.execute(_DETAILS, {"ids": list(missing)})}
        if max_age > 0:
            _details_copies.put(key, found, read_at)
    for item_id, details in found.items():
        missing[item_id].details[item_id] = details


def voter_envelopes(cycle: Cycle, who, also=(), details: bool = True) -> list[VoterEnvelope]:
    """The envelopes a voter (or an account's voter) votes in: the city-wide one (if any) and their own district's
    (if it has voting), plus the district envelopes in ``also`` (keys; where the rules allow one other district:
    see ``validate_ballot``, which refuses them otherwise), marked ``added``. ``details``: see
    ``envelopes_for_keys``."""
    home = [None, voter_of(who).district_id]
    added = [key for key in also if key not in home]
    envelopes = envelopes_for_keys(cycle, home + added, details)
    for envelope in envelopes:
        envelope.added = envelope.key in added
    return sorted(envelopes, key=lambda envelope: envelope.added)  # their own envelopes first (a stable sort)


def other_districts(cycle: Cycle, who) -> list[tuple[int, str]]:
    """(district id, name) of the envelopes a voter may add besides their own, when the rules allow one."""
    home = voter_of(who).district_id
    return [(key, label) for key, (label, _budget) in voting_envelopes(cycle).items()
            if key is not None and key != home]


def district_choices() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))


# --- Checking a ballot -----------------------------------------------------------------------------------------------

def _as_id(raw) -> int | None:
    text = str(raw).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _as_int(raw) -> int | None:
    """A whole number as typed ("3", " -1 ", 2); None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    digits = text[1:] if text.startswith("-") else text
    return int(text) if digits.isdigit() and len(digits) < 7 else None


def _blank(raw) -> bool:
    return raw is None or str(raw).strip() == ""


def _entries(chosen) -> list[tuple]:
    """(id, value) pairs, as sent, of what a caller chose in one envelope.

    ``chosen`` is a list of ballot item ids (approval and knapsack: each chosen project, value 1), a mapping
    id -> value (cumulative: points; majority judgment: grade), or a list of (id, value) pairs.
    """
    if not chosen:
        return []
    if isinstance(chosen, Mapping):
        return list(chosen.items())
    return [tuple(entry) if isinstance(entry, (tuple, list)) and len(entry) == 2 else (entry, 1) for entry in chosen]


def stored_values(kind, chosen) -> dict[int, int]:
    """Ballot item id -> ``BallotChoice.value`` for choices already checked by ``validate_choices``: 1 for each
    chosen project, the points given (projects without points are left out), or the grade of every project."""
    values = {}
    for raw_id, raw_value in _entries(chosen):
        item_id = _as_id(raw_id)
        if kind == BallotKind.CUMULATIVE:
            points = 0 if _blank(raw_value) else _as_int(raw_value)
            if points:
                values[item_id] = points
        elif kind == BallotKind.MAJORITY_JUDGMENT:
            values[item_id] = _as_int(raw_value)
        else:
            values[item_id] = 1
    return values


def rules_text(rules: BallotRules, envelope: VoterEnvelope) -> str:
    """The rule of one envelope in a sentence (or two), for the ballot page."""
    low, high = rules.min_choices, rules.max_choices
    if rules.kind == BallotKind.KNAPSACK:
        if rules.min_share_percent:
            return gettext("Choose projects whose costs add up to at most %(budget)s and at least %(minimum)s.",
                           budget=euros(envelope.budget_cents),
                           minimum=euros(_minimum_spend(rules, envelope.budget_cents)))
        return gettext("Choose projects whose costs add up to at most %(budget)s.", budget=euros(envelope.budget_cents))
    if rules.kind == BallotKind.CUMULATIVE:
        return " ".join((
            ngettext("You have %(num)d point to spread among these projects.",
                     "You have %(num)d points to spread among these projects.", rules.points_total),
            ngettext("At most %(num)d point on one project.", "At most %(num)d points on one project.",
                     rules.points_per_project),
        ))
    if rules.kind == BallotKind.MAJORITY_JUDGMENT:
        return gettext("Give each of these projects one grade, from “%(best)s” to “%(worst)s”: every project "
                       "needs a grade.", best=grade_label(Grade.EXCELLENT), worst=grade_label(Grade.TO_REJECT))
    if high is None:
        return ngettext("Choose at least %(num)d of these projects.", "Choose at least %(num)d of these projects.",
                        low) if low > 1 else gettext("Choose the projects you want, as many as you like.")
    if low == high:
        return ngettext("Choose exactly %(num)d of these projects.", "Choose exactly %(num)d of these projects.",
                        high)
    if low <= 1:
        return ngettext("Choose up to %(num)d of these projects.", "Choose up to %(num)d of these projects.", high)
    return gettext("Choose between %(min)d and %(max)d of these projects.", min=low, max=high)


def _euros(cents: int) -> LazyString:
    """An amount formatted when the message is shown, in the reader's language (services may run outside a
    request, where no language is chosen yet)."""
    return LazyString(euros, cents)


def _minimum_spend(rules: BallotRules, budget_cents: int) -> int:
    return -(-budget_cents * (rules.min_share_percent or 0) // 100)  # rounded up: integer arithmetic, no floats


def _quoted(titles) -> LazyString:
    """Project titles between quotation marks, in the reader's language (« » in French), when shown."""
    return LazyString(lambda: ", ".join(gettext("“%(title)s”", title=title) for title in titles))


def validate_choices(rules: BallotRules, envelope: VoterEnvelope, chosen) -> list:
    """Translated messages naming each rule the choices break in ``envelope`` (empty when the ballot is valid).

    ``chosen`` is what the voter sent for this envelope (see ``_entries``). Checks, for every kind: ids that are no
    project at all, projects of another cycle or of another envelope, duplicates. Then approval: the number of
    projects (min, max); knapsack: the number (min, and max when set), the envelope's budget and its minimum share;
    cumulative: the points of each project (0 to points_per_project), their total (at most points_total) and the
    number of projects given points (min, and max when set); majority judgment: a grade (0 to 3) for every project.
    """
    errors = []
    kind = BallotKind(rules.kind)
    items = {item.id: item for item in envelope.items}
    given, strangers, duplicates = {}, [], []
    for raw_id, raw_value in _entries(chosen):
        item_id = _as_id(raw_id)
        if item_id is None:
            errors.append(_l("“%(value)s” is not a project of this ballot.", value=str(raw_id)[:20]))
            continue
        if item_id in given or item_id in strangers:
            if item_id not in duplicates:
                duplicates.append(item_id)
            continue
        if item_id in items:
            given[item_id] = raw_value
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
    check = {BallotKind.CUMULATIVE: _check_points, BallotKind.MAJORITY_JUDGMENT: _check_grades}.get(kind, _check_ticks)
    return errors + check(rules, envelope, items, given)


def _count_errors(rules: BallotRules, count: int, too_many, too_few) -> list:
    """The number of projects chosen (ticked, or given points) against the rules' maximum and minimum; the message
    makers take the count and the rule's number."""
    if rules.max_choices is not None and count > rules.max_choices:
        return [too_many(count, rules.max_choices)]
    if count < rules.min_choices:
        return [too_few(count, rules.min_choices)]
    return []


def _check_ticks(rules: BallotRules, envelope: VoterEnvelope, items: dict, given: dict) -> list:
    """Approval and knapsack: each project is chosen (value 1) or left out."""
    errors = [_l("“%(title)s”: “%(value)s” is not a choice (a project is either chosen or not).",
                 title=items[item_id].title, value=str(value)[:20])
              for item_id, value in given.items() if _as_int(value) != 1]
    errors += _count_errors(
        rules, len(given),
        lambda count, most: lazy_ngettext("You chose %(num)d project; the maximum is %(max)d.",
                                          "You chose %(num)d projects; the maximum is %(max)d.", count, max=most),
        lambda count, least: lazy_ngettext("You chose %(num)d project; the minimum is %(min)d.",
                                           "You chose %(num)d projects; the minimum is %(min)d.", count, min=least))
    if rules.kind == BallotKind.KNAPSACK:
        total = sum(items[item_id].cost_cents for item_id in given)
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


def _check_points(rules: BallotRules, envelope: VoterEnvelope, items: dict, given: dict) -> list:
    """Cumulative: 0 to points_per_project points on each project, at most points_total in all."""
    errors, total, count = [], 0, 0
    for item_id, raw in given.items():
        points = 0 if _blank(raw) else _as_int(raw)
        title = items[item_id].title
        if points is None or points < 0:
            errors.append(_l("“%(value)s” is not a number of points (project “%(title)s”): please give a whole "
                             "number from 0 to %(max)d.", value=str(raw)[:20], title=title,
                             max=rules.points_per_project))
            continue
        if points > rules.points_per_project:
            errors.append(lazy_ngettext("At most %(num)d point on one project: you gave %(points)d to “%(title)s”.",
                                        "At most %(num)d points on one project: you gave %(points)d to "
                                        "“%(title)s”.", rules.points_per_project, points=points, title=title))
        total += points
        count += 1 if points else 0
    if total > rules.points_total:
        errors.append(lazy_ngettext("You gave %(given)d points; you have %(num)d point.",
                                    "You gave %(given)d points; you have %(num)d.", rules.points_total,
                                    given=total))
    return errors + _count_errors(
        rules, count,
        lambda count, most: lazy_ngettext("You gave points to %(num)d project; the maximum is %(max)d.",
                                          "You gave points to %(num)d projects; the maximum is %(max)d.", count,
                                          max=most),
        lambda count, least: lazy_ngettext("You gave points to %(num)d project; the minimum is %(min)d.",
                                           "You gave points to %(num)d projects; the minimum is %(min)d.", count,
                                           min=least))


def _check_grades(rules: BallotRules, envelope: VoterEnvelope, items: dict, given: dict) -> list:
    """Majority judgment: one grade of the scale (0 to 3) for every project of the envelope."""
    errors, missing = [], []
    for item in envelope.items:
        raw = given.get(item.id)
        if _blank(raw):
            missing.append(item.title)
        elif _as_int(raw) not in {int(grade) for grade in Grade}:
            errors.append(_l("“%(title)s”: “%(value)s” is not one of the grades.", title=item.title,
                             value=str(raw)[:20]))
    if missing:
        errors.insert(0, lazy_ngettext("Please grade every project: %(titles)s has no grade.",
                                       "Please grade every project: %(titles)s have no grade.", len(missing),
                                       titles=_quoted(missing)))
    return errors


def added_district_errors(rules: BallotRules, envelopes: list[VoterEnvelope]) -> dict:
    """Envelope key -> messages for the districts a voter added besides their own that the rules refuse: any, when
    the rules keep voters to their own district; more than one otherwise."""
    errors = {}
    for index, envelope in enumerate(envelope for envelope in envelopes if envelope.added):
        if not rules.other_district:
            errors[envelope.key] = [_l("This budget does not let you vote in another district than yours: you vote "
                                       "for the whole city and for your own district only.")]
        elif index > 0:
            errors[envelope.key] = [_l("You can vote in only one district besides your own.")]
    return errors


def validate_ballot(rules: BallotRules, envelopes: list[VoterEnvelope], choices_by_envelope: dict) -> dict:
    """Envelope key -> translated messages naming each rule broken (empty when the whole ballot is valid):
    envelopes the voter may not vote in, then each envelope's choices (``validate_choices``)."""
    errors = {key: [_l("You cannot vote in this envelope.")] for key in choices_by_envelope
              if key not in {envelope.key for envelope in envelopes}}
    errors.update(added_district_errors(rules, envelopes))
    for envelope in envelopes:
        if envelope.key in errors:
            continue
        problems = validate_choices(rules, envelope, choices_by_envelope.get(envelope.key) or [])
        if problems:
            errors[envelope.key] = problems
    return errors


def chosen_entries(rules: BallotRules, envelope: VoterEnvelope, chosen) -> list[tuple[BallotItem, int]]:
    """(project, value) of checked choices, in the envelope's order: what the review page and the receipt show."""
    values = stored_values(rules.kind, chosen)
    return [(item, values[item.id]) for item in envelope.items if item.id in values]


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
    if not allows(phase_of(cycle), "vote") or cycle.ballots_sealed_at is not None:  # the server's clock decides
        raise NotAllowed(_l("Voting is not open for this budget: ballots are accepted only during the voting "
                            "phase."))
    if actor is None:
        return
    if channel == VoteChannel.WEB and not actor.email_confirmed:
        raise NotAllowed(_l("Please confirm your email address before voting: use the link we sent you, or ask "
                            "for a new one on your account page."))
    ensure_can_write(actor)


def check_eligible(voter: Voter, cycle: Cycle, rules: BallotRules | None = None) -> None:
    """Raise NotAllowed when this person may not vote in ``cycle`` (under ``rules``, default the cycle's): the
    cycle requires a census entry and the voter has none (``census.CensusRequired``), their entry is inactive, the
    cycle has a minimum age and their year of birth is unknown (``census.BirthYearNeeded``) or too recent. Voting
    codes (``code:``) pass the census requirement: the code, handed out by the city, is the proof."""
    census.check_eligible(voter, cycle, rules)


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
    cached = _cached_frozen_rules(cycle)
    if cached is not None:
        return cached
    rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == cycle.id)
                              .execution_options(populate_existing=True))
    if rules is not None and rules.frozen_at is not None:
        _remember_if_frozen(cycle, rules)
        return rules  # frozen rules never change again (see save_rules): nothing to lock or update
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
    return rules  # not remembered yet: this transaction may still roll back


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
    if for_update:  # to change them: lock the rows, and read them afresh even if this session has seen them
        query = query.with_for_update().execution_options(populate_existing=True)
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
        values = {choice.ballot_item_id: choice.value for choice in ballot.choices}
        result.append(ReceiptBallot(label=label, day=ballot.day, items=items, values=values))
    return result


# --- Sealing and the anonymised export (after voting closes) ---------------------------------------------------------

# Voting must have been closed this long before the ballots are sealed: a request that passed the clock check just
# before the close has finished by then (requests time out long before), so no ballot is written after the seal.
SEAL_GRACE = timedelta(minutes=2)
_CHUNK = 1000


def voting_closed(cycle: Cycle, now=None) -> bool:
    """True once the cycle's voting phase lies in the past, by the server's clock."""
    return any(window.kind == PhaseKind.VOTING and state == "past"
               for window, state in timeline(cycle.phases, as_utc(now or utcnow())))


def seal_ballots(cycle: Cycle) -> int:
    """Rewrite every ballot of ``cycle`` and its choices, in random order, in the current transaction.

    Each row is deleted and inserted again with the same values (random id, day, envelope, receipt hash; choices).
    On PostgreSQL every row carries the id of the transaction that wrote it (``xmin``) and a place on disk
    (``ctid``): while voting is open, a ballot shares both with the participation written beside it. Afterwards
    every ballot of the cycle carries this transaction's id, which no participation has, and lies at a place drawn
    from ``secrets.SystemRandom``. The old row versions remain on disk until VACUUM (see the README). Returns the
    number of ballots rewritten; the caller commits.
    """
    if db.engine.dialect.name == "postgresql":
        # Waits for a ballot still being written (a request that began before the close), and keeps new ones out
        # until the commit, so that every ballot is read, and rewritten, here.
        db.session.execute(text("LOCK TABLE ballot, ballot_choice IN SHARE ROW EXCLUSIVE MODE"))
    of_cycle = select(Ballot.id).where(Ballot.cycle_id == cycle.id)
    ballots = [row._asdict() for row in db.session.execute(
        select(Ballot.id, Ballot.cycle_id, Ballot.district_id, Ballot.receipt_hash, Ballot.day)
        .where(Ballot.cycle_id == cycle.id))]
    choices = [row._asdict() for row in db.session.execute(
        select(BallotChoice.ballot_id, BallotChoice.ballot_item_id, BallotChoice.value)
        .where(BallotChoice.ballot_id.in_(of_cycle)))]
    db.session.execute(delete(BallotChoice).where(BallotChoice.ballot_id.in_(of_cycle))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(Ballot).where(Ballot.cycle_id == cycle.id)
                       .execution_options(synchronize_session=False))
    shuffle = secrets.SystemRandom().shuffle
    for table, rows in ((Ballot.__table__, ballots), (BallotChoice.__table__, choices)):
        shuffle(rows)
        for start in range(0, len(rows), _CHUNK):
            db.session.execute(table.insert(), rows[start:start + _CHUNK])
    db.session.expire_all()  # ballots loaded before are stale objects now
    return len(ballots)


def seal_due_ballots(now=None) -> list[Cycle]:
    """For the worker: seal the ballots of every cycle whose voting closed (``SEAL_GRACE`` ago), once per cycle
    (``Cycle.ballots_sealed_at``), all in one transaction that the caller commits. Returns the cycles sealed."""
    now = as_utc(now or utcnow())
    begin_write()
    sealed = []
    for cycle in db.session.scalars(select(Cycle).where(Cycle.ballots_sealed_at.is_(None),
                                                        Cycle.ballot_frozen_at.is_not(None))
                                  .order_by(Cycle.id)).all():
        if not voting_closed(cycle, now - SEAL_GRACE):
            continue
        # Only one worker flips the date; another one waits for the row here, then finds it sealed.
        flipped = db.session.execute(update(Cycle).where(Cycle.id == cycle.id, Cycle.ballots_sealed_at.is_(None))
                                     .values(ballots_sealed_at=utcnow())
                                     .execution_options(synchronize_session=False)).rowcount
        if flipped != 1:
            continue
        count = seal_ballots(cycle)
        audit.record(None, "voting.ballots_sealed", cycle, channel="worker", ballots=count)
        sealed.append(cycle)
    db.session.flush()
    return sealed


def vacuum_ballots() -> None:
    """PostgreSQL: VACUUM the ballot tables, so that the row versions from before the seal (which still carry the
    transaction of each vote) are removed. Runs outside any transaction, on its own connection."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ballot, ballot_choice"))


def export_ballots_csv(actor, cycle: Cycle) -> str:
    """The cycle's ballots for officials, once voting has closed: one line per ballot with its envelope, the numbers
    of the projects chosen (the proposals' numbers) and their values (1 for a chosen project, else points or a
    grade), in an order drawn from ``secrets.SystemRandom``. No ballot id, day or receipt. Audited."""
    if not can(actor, "ballots.export"):
        raise NotAllowed(_l("Only an official can export the ballots."))
    if not voting_closed(cycle):
        raise NotAllowed(_l("The ballots can be exported once voting has closed."))
    labels = {key: str(label) for key, (label, _budget) in voting_envelopes(cycle).items()}
    ballots = {ballot_id: (district_id, []) for ballot_id, district_id in db.session.execute(
        select(Ballot.id, Ballot.district_id).where(Ballot.cycle_id == cycle.id))}
    for ballot_id, number, value in db.session.execute(
            select(BallotChoice.ballot_id, BallotItem.proposal_id, BallotChoice.value)
            .join(BallotItem, BallotItem.id == BallotChoice.ballot_item_id)
            .where(BallotItem.cycle_id == cycle.id)):
        ballots[ballot_id][1].append((number, value))
    rows = []
    for district_id, chosen in ballots.values():
        chosen.sort()
        label = labels.get(district_id) or (gettext("Whole city") if district_id is None else str(district_id))
        rows.append([label, " ".join(str(n) for n, _v in chosen), " ".join(str(v) for _n, v in chosen)])
    secrets.SystemRandom().shuffle(rows)
    audit.record(actor, "voting.ballots_exported", cycle, ballots=len(rows))
    return csv_text([gettext("Envelope"), gettext("Projects (numbers)"), gettext("Points or grades")], rows)


# --- Casting and changing --------------------------------------------------------------------------------------------

def _choice_rows(ballot_id: str, kind, chosen) -> list[dict]:
    """The ``BallotChoice`` rows of one ballot, as column values."""
    return [{"ballot_id": ballot_id, "ballot_item_id": item_id, "value": value}
            for item_id, value in sorted(stored_values(kind, chosen).items())]


def _write_ballot(ballot: Ballot, kind, chosen) -> None:
    for row in _choice_rows(ballot.id, kind, chosen):
        ballot.choices.append(BallotChoice(ballot_item_id=row["ballot_item_id"], value=row["value"]))


def _resolve(actor, voter: Voter | None, channel: VoteChannel, cycle: Cycle,
             lock: bool = False) -> tuple[Voter, Participation | None]:
    """The voter a service acts for, given or (on the web only) the actor's own identity (``lock``: see
    ``account_standing``), and their register row."""
    if voter is not None:
        if channel == VoteChannel.WEB and (voter.account is None or voter.account.id != getattr(actor, "id", None)):
            raise NotAllowed(_l("On the web, you can only vote for yourself."))
        return voter, participation_of(voter, cycle)
    if channel != VoteChannel.WEB:
        raise ServiceError(_l("Please say for whom this vote is recorded."))
    return account_standing(actor, cycle, lock)


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
    choices there: a list of ballot item ids (approval, knapsack), or a mapping item id -> points (cumulative) or
    grade (majority judgment); an envelope left out is an empty choice there (refused unless the rules allow it).
    The voter votes in every envelope they are entitled to, plus one other district given as a key where the rules
    allow it. Raises NotAllowed (phase, account, eligibility), BallotInvalid (rules) or ServiceError ("You have
    already voted in this budget."); in every case nothing is written.
    """
    begin_write()
    channel = _channel(channel)
    check_voter(actor, cycle, channel)
    voter, participation = _resolve(actor, voter, channel, cycle, lock=True)
    if participation is not None:  # the common case, answered before the rules are checked
        raise ServiceError(ALREADY_VOTED)
    checked_with = rules_for(cycle)  # frozen rules: this process's copy, no query
    check_eligible(voter, cycle, checked_with)
    ensure_ballot_frozen(cycle)
    if needs_district(cycle, voter):
        raise ServiceError(_l("Please choose your district before voting."))
    envelopes = voter_envelopes(cycle, voter, also=choices_by_envelope, details=False)
    if not envelopes:
        raise ServiceError(_l("There is no project to vote for in your district in this budget."))
    code = new_receipt_code()
    today = local_now().date()
    recorded_by = actor if channel in (VoteChannel.PHONE, VoteChannel.PAPER) else None
    # Nothing below writes before the ballot is found valid, except the freeze of the rules by the cycle's first
    # ballot: that one ballot keeps it in a savepoint, to undo if the ballot is refused.
    with db.session.begin_nested() if checked_with.frozen_at is None else nullcontext():
        rules = _frozen_rules(cycle)
        if checked_with.frozen_at is None:  # this ballot froze the rules: who may vote is final only now
            check_eligible(voter, cycle, rules)
        errors = validate_ballot(rules, envelopes, choices_by_envelope)
        if errors:
            raise BallotInvalid(errors)
        # Plain INSERT statements (no ORM objects: nothing reads these rows back in this transaction).
        inserted = db.session.execute(_INSERT_PARTICIPATION, {
            "cycle_id": cycle.id, "voter_key": voter.key, "channel": channel, "day": today,
            "recorded_by_id": recorded_by.id if recorded_by is not None else None,
            "station_id": station.id if station is not None else None})
        if inserted.first() is None:  # a concurrent attempt won: the unique index said so, before any ballot
            raise ServiceError(ALREADY_VOTED)
        ballots, choices = [], []
        for envelope in envelopes:
            ballot_id = secrets.token_hex(16)
            ballots.append({"id": ballot_id, "cycle_id": cycle.id, "district_id": envelope.key,
                            "receipt_hash": receipt_hash(cycle.id, envelope.key, code), "day": today})
            choices += _choice_rows(ballot_id, rules.kind, choices_by_envelope.get(envelope.key))
        db.session.execute(_INSERT_BALLOT, ballots)
        if choices:
            db.session.execute(_INSERT_CHOICE, choices)
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
    _voter, participation = _resolve(actor, voter, VoteChannel.WEB, cycle)
    if participation is None:
        raise ServiceError(_l("You have not voted in this budget yet."))
    ballots = _ballots_for_code(cycle, code)
    return ballots, envelopes_for_keys(cycle, [ballot.district_id for ballot in ballots])


def change_ballot(actor, cycle: Cycle, receipt_code: str, new_choices: dict, voter: Voter | None = None) -> None:
    """Replace the choices of the ballots matching ``receipt_code`` (same envelopes, same receipt) until voting
    closes. The participation stays one row; the ballots keep their random ids and take today's date."""
    begin_write()
    check_voter(actor, cycle)
    _voter, participation = _resolve(actor, voter, VoteChannel.WEB, cycle)
    if participation is None:
        raise ServiceError(_l("You have not voted in this budget yet."))
    ballots = _ballots_for_code(cycle, receipt_code, for_update=True)
    envelopes = envelopes_for_keys(cycle, [ballot.district_id for ballot in ballots], details=False)
    rules = _frozen_rules(cycle)
    errors = validate_ballot(rules, envelopes, new_choices)
    if errors:
        raise BallotInvalid(errors)
    today = local_now().date()
    with db.session.begin_nested():
        for ballot in ballots:
            ballot.choices.clear()
            ballot.day = today
        db.session.flush()  # the old choices go first: a new one may have the same (ballot, project) key
        for ballot in ballots:
            _write_ballot(ballot, rules.kind, new_choices.get(ballot.district_id))
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

def rules_frozen_reason(cycle: Cycle, rules: BallotRules | None = None):
    """Why the rules of ``cycle`` can no longer change (a translated message), or None while they can: they freeze
    when the first ballot is cast, or when voting opens by the server's clock, whichever comes first."""
    rules = rules if rules is not None else rules_of(cycle)
    if (rules is not None and rules.frozen_at is not None) or ballots_cast(cycle):
        return _l("Ballots have already been cast in this budget: its ballot rules can no longer change.")
    phase = phase_of(cycle)
    if phase is not None and PhaseKind(phase).order >= PhaseKind.VOTING.order:
        return _l("Voting has opened in this budget: its ballot rules can no longer change.")
    return None


def _checked_rules(kind, min_choices, max_choices, min_share_percent, points_total, points_per_project) -> dict:
    """The column values of valid rules (what a kind does not use is cleared); ServiceError naming the field."""
    try:
        kind = BallotKind(kind)
    except ValueError:
        raise ServiceError(_l("Please choose a kind of ballot from the list."), field="kind")
    if kind == BallotKind.MAJORITY_JUDGMENT:  # every project gets a grade: no number of projects to choose
        min_choices, max_choices = 0, None
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
    if kind != BallotKind.CUMULATIVE:
        points_total = points_per_project = None
    else:
        if points_total is None or not 1 <= points_total <= MAX_POINTS:
            raise ServiceError(_l("A points ballot needs the number of points each voter spreads in an envelope, "
                                  "from 1 to %(max)d.", max=MAX_POINTS), field="points_total")
        if points_per_project is None or not 1 <= points_per_project <= points_total:
            raise ServiceError(_l("Please give the most points one project may receive, from 1 to the %(num)d "
                                  "points of an envelope.", num=points_total), field="points_per_project")
    return {"kind": kind, "min_choices": min_choices, "max_choices": max_choices,
            "min_share_percent": min_share_percent, "points_total": points_total,
            "points_per_project": points_per_project}


RULE_COLUMNS = ("kind", "min_choices", "max_choices", "min_share_percent", "points_total", "points_per_project",
                "other_district", "counting_rule")


def save_rules(actor, cycle: Cycle, kind, min_choices: int, max_choices: int | None,
               min_share_percent: int | None, points_total: int | None = None, points_per_project: int | None = None,
               other_district: bool = False, counting_rule: str | None = None) -> BallotRules:
    """Set the rules of a cycle's ballot. Refused once voting has opened or the first ballot has been cast.

    ``counting_rule`` (a rule name of ``app.results.rules``; None: the first one offered for the kind) is how the
    ballots will be counted, announced with the rules and frozen with them."""
    from app.results.rules import offered_rules

    begin_write()
    if not can(actor, "rules.manage"):
        raise NotAllowed(_l("Only an official can set the ballot rules."))
    values = _checked_rules(kind, min_choices, max_choices, min_share_percent, points_total, points_per_project)
    values["other_district"] = bool(other_district)
    counting_rule = counting_rule or offered_rules(values["kind"])[0]
    if counting_rule not in offered_rules(values["kind"]):
        raise ServiceError(_l("This counting rule cannot be used with this kind of ballot."), field="counting_rule")
    values["counting_rule"] = counting_rule
    rules = rules_of(cycle)
    reason = rules_frozen_reason(cycle, rules)
    if reason is not None:
        raise ServiceError(reason)
    frozen = _l("Ballots have already been cast in this budget: its ballot rules can no longer change.")
    before = None
    if rules is None:
        try:
            with db.session.begin_nested():
                rules = BallotRules(cycle_id=cycle.id, **values)
                db.session.add(rules)
        except IntegrityError:  # the first ballot saved the default rules in the meantime
            raise ServiceError(frozen)
    else:
        before = {name: getattr(rules, name) for name in RULE_COLUMNS}
        before["kind"] = BallotKind(before["kind"]).value
        # Conditional: a ballot cast meanwhile has frozen the rules (PostgreSQL re-reads the row after the wait).
        changed = db.session.execute(update(BallotRules)
                                     .where(BallotRules.id == rules.id, BallotRules.frozen_at.is_(None))
                                     .values(**values).execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise ServiceError(frozen)
        db.session.refresh(rules)
    audit.record(actor, "voting.rules_saved", cycle, before=before,
                 **{**values, "kind": values["kind"].value})
    db.session.flush()
    return rules
