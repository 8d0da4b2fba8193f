"""Voting codes: for residents without an account (letters, events, schools).

- ``generate_batch(actor, cycle, district, label, count, ...)``: an official generates N codes (1 to 5,000) for a
  cycle and district. Each code is 12 symbols of Crockford's base 32 drawn with ``secrets`` (60 bits), printed in
  groups of 4 (``7KQM-3XWD-9HPA``). Only HMAC-SHA256(``VOTING_CODE_SECRET``, code) is stored; the codes are
  returned once, for the printable sheet, and exist nowhere else afterwards: not in the database, the audit log
  (which records who generated how many, never a code), the logs or any address.
- ``void_batch(actor, batch)``: the unused codes of a batch stop working (votes already cast stay).
- ``open_code(text)``: a resident types a code; it is found by its hash and checked (not voided, not used, voting
  open). What follows travels as a signed token of the code's id (``CodeEntry.token``), never the code.
  A census-bound batch asks the holder for their census identifier too (``confirm_details``): they then vote as
  that census entry, so that the same person cannot also vote online or on paper (whatever the order). Where the
  cycle has a minimum age, the holder of an ordinary code declares their year of birth, as account holders do.
- ``cast_with_code(token, choices)``: consumes the code with a conditional UPDATE (``used_on IS NULL`` and batch
  not voided) and casts through the same ``services.cast`` as the web, channel "code", voter key ``code:<id>``
  (or the census entry's key), in one transaction: of any number of simultaneous uses of one code, exactly one
  updates the row; the others read "already used" and write nothing.

Services flush; the caller commits (or rolls back on any error: the code is then not consumed).
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.services import ensure_can_write
from app.core import audit
from app.core.clock import local_now, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.transactions import begin_write
from app.cycles.models import Cycle, District, PhaseKind
from app.cycles.services import phase_of, phase_row
from app.extensions import db
from app.voting import census, services
from app.voting.models import CodeBatch, VoteChannel, VotingCode
from app.voting.permissions import can

CODE_LENGTH = 12  # symbols of 5 bits: 60 bits
MAX_BATCH = 5000
MAX_LABEL = 120
TOKEN_MAX_AGE = 2 * 3600  # seconds between typing the code and confirming the ballot
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

CODE_FORMAT = _l("A voting code has 12 letters and digits, for example 7KQM-3XWD-9HPA.")
CODE_UNKNOWN = _l("This voting code is not valid. Please check what you typed.")
CODE_VOIDED = _l("This voting code has been cancelled by the city: it can no longer be used.")
CODE_USED = _l("This voting code has already been used: each code works only once.")
CODE_EXPIRED = _l("Your voting session has expired: please type your voting code again.")


class BatchAlreadyGenerated(ServiceError):
    """The form that generates a batch was sent again (a reload): its batch exists; codes are never shown twice."""

    def __init__(self, batch: CodeBatch):
        super().__init__(_l("This batch has already been generated and its codes were shown once: they cannot be "
                            "shown again. If the sheet was lost, void the batch and generate a new one."))
        self.batch = batch


@dataclass
class BatchRow:
    """A batch with how many of its codes were used (for the officials' list and the desk)."""

    batch: CodeBatch
    used: int

    @property
    def unused(self) -> int:
        return self.batch.size - self.used


@dataclass
class CodeEntry:
    """A code found and usable: what to ask next, and the token that stands for it on the following pages."""

    cycle: Cycle
    batch: CodeBatch
    token: str
    ask_identifier: bool
    ask_birth_year: bool

    @property
    def needs_details(self) -> bool:
        return self.ask_identifier or self.ask_birth_year


# --- Hashing ---------------------------------------------------------------------------------------------------------

def code_secret() -> bytes:
    """``VOTING_CODE_SECRET``, else a key derived from ``SECRET_KEY`` (never the census key: one leak, one list)."""
    secret = current_app.config.get("VOTING_CODE_SECRET")
    if secret:
        return secret.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"voting-codes", hashlib.sha256).digest()


def code_hash(code: str, secret: bytes | None = None) -> str:
    """HMAC-SHA256 of a code in canonical form (see ``services.canonical_code``), without its dashes."""
    return hmac.new(secret or code_secret(), code.replace("-", "").encode(), hashlib.sha256).hexdigest()


def normalise_code(text: str) -> str:
    code = services.canonical_code(text, CODE_LENGTH)
    if code is None:
        raise ServiceError(CODE_FORMAT, field="code")
    return code


# --- Batches (officials) ---------------------------------------------------------------------------------------------

def code_districts(cycle: Cycle) -> list[District]:
    """The districts a batch may be for: those with a voting envelope in the cycle (none: city-wide codes)."""
    keys = [key for key in services.voting_envelopes(cycle) if key is not None]
    if not keys:
        return []
    return list(db.session.scalars(select(District).where(District.id.in_(keys)).order_by(District.name)))


def generation_open(cycle: Cycle) -> bool:
    """Codes can be generated until voting closes (they are printed and handed out before and during the vote)."""
    phase = phase_of(cycle)
    return phase is None or PhaseKind(phase).order <= PhaseKind.VOTING.order


def voting_window(cycle: Cycle):
    """The voting phase (its dates go on the printed sheet), or None."""
    return phase_row(cycle, PhaseKind.VOTING)


def _require_manager(actor) -> None:
    if not can(actor, "codes.manage"):
        raise NotAllowed(_l("Only an official can manage voting codes."))
    ensure_can_write(actor)


def generate_batch(actor, cycle: Cycle, district: District | None, label: str, count, census_bound: bool = False,
                   form_key: str | None = None) -> tuple[CodeBatch, list[str]]:
    """Generate ``count`` codes; return the batch and the codes (the only time they exist in clear).

    ``form_key`` is the one-time key of the generating form: a batch already made with it raises
    BatchAlreadyGenerated (a reload or a double click never makes a second batch, nor shows the codes again).
    Audited as "codes.generated" (who, cycle, district, label, count), never a code.
    """
    _require_manager(actor)
    label = " ".join((label or "").split())
    if not label or len(label) > MAX_LABEL:
        raise ServiceError(_l("Please give the batch a name (at most %(max)d characters), for example “Letters "
                              "Fives, March”.", max=MAX_LABEL), field="label")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_BATCH:
        raise ServiceError(_l("A batch has between 1 and %(max)d codes.", max=MAX_BATCH), field="count")
    allowed = code_districts(cycle)
    if allowed:
        if district is None or district.id not in {d.id for d in allowed}:
            raise ServiceError(_l("Please choose a district that votes in this budget."), field="district")
    elif district is not None:
        raise ServiceError(_l("This budget has no district envelope: its codes are for the whole city."),
                           field="district")
    if form_key is not None and not _FORM_KEY.match(form_key):
        raise ServiceError(_l("Your form has expired. Please send it again."))
    if not generation_open(cycle):
        raise ServiceError(_l("Voting has closed in this budget: no more codes can be generated."))
    begin_write()
    if form_key is not None:
        earlier = db.session.scalar(select(CodeBatch).where(CodeBatch.form_key == form_key))
        if earlier is not None:
            raise BatchAlreadyGenerated(earlier)
    batch = CodeBatch(cycle_id=cycle.id, district_id=district.id if district else None, label=label, size=count,
                      census_bound=bool(census_bound), form_key=form_key, created_at=utcnow(),
                      created_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
    except IntegrityError:
        earlier = form_key and db.session.scalar(select(CodeBatch).where(CodeBatch.form_key == form_key))
        if earlier:  # the same form sent twice at once: the other request made the batch
            raise BatchAlreadyGenerated(earlier)
        raise ServiceError(_l("This budget already has a batch with this name: please choose another."),
                           field="label")
    codes = _insert_codes(batch.id, count)
    audit.record(actor, "codes.generated", batch, cycle=cycle.id, district=batch.district_id, label=label,
                 count=count, census_bound=batch.census_bound)
    db.session.flush()
    return batch, codes


def _insert_codes(batch_id: int, count: int) -> list[str]:
    """Draw ``count`` distinct codes and insert their hashes. Two equal codes among all ever made are unlikely
    (60 bits); should it happen, the unique index refuses the insert and the batch is drawn again."""
    secret = code_secret()
    for _attempt in range(3):
        codes = set()
        while len(codes) < count:
            codes.add(services.readable_code(CODE_LENGTH))
        codes = sorted(codes, key=lambda _c: secrets.randbits(32))
        try:
            with db.session.begin_nested():
                db.session.execute(insert(VotingCode), [{"batch_id": batch_id, "code_hash": code_hash(code, secret)}
                                                        for code in codes])
        except IntegrityError:
            continue
        return codes
    raise ServiceError(_l("The codes could not be generated: please try again."))


def void_batch(actor, batch: CodeBatch) -> int:
    """Void a batch: its unused codes stop working; votes already cast with its codes stay. Returns how many
    codes were still unused. Audited as "codes.voided"."""
    _require_manager(actor)
    begin_write()
    voided = db.session.execute(update(CodeBatch).where(CodeBatch.id == batch.id, CodeBatch.voided_at.is_(None))
                                .values(voided_at=utcnow(), voided_by_id=actor.id)
                                .execution_options(synchronize_session=False)).rowcount
    if voided != 1:
        raise ServiceError(_l("This batch has already been voided."))
    db.session.refresh(batch)
    used = _used_count(batch.id)
    audit.record(actor, "codes.voided", batch, cycle=batch.cycle_id, label=batch.label, count=batch.size,
                 used=used, unused=batch.size - used)
    db.session.flush()
    return batch.size - used


def _used_count(batch_id: int) -> int:
    return db.session.scalar(select(func.count(VotingCode.id))
                             .where(VotingCode.batch_id == batch_id, VotingCode.used_on.is_not(None)))


def batches_of(cycle: Cycle) -> list[BatchRow]:
    """The batches of a cycle, newest first, with how many codes of each were used."""
    rows = db.session.execute(
        select(CodeBatch, func.count(VotingCode.used_on))
        .outerjoin(VotingCode, VotingCode.batch_id == CodeBatch.id)
        .where(CodeBatch.cycle_id == cycle.id)
        .group_by(CodeBatch.id)
        .order_by(CodeBatch.created_at.desc(), CodeBatch.id.desc()))
    return [BatchRow(batch, used) for batch, used in rows]


def batch_of(cycle: Cycle, batch_id: int) -> CodeBatch | None:
    batch = db.session.get(CodeBatch, batch_id)
    return batch if batch is not None and batch.cycle_id == cycle.id else None


# --- Residents with a code -------------------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="voting-code")


def _token(code: VotingCode, census_hash: str = "", birth_year: int = 0) -> str:
    return _serializer().dumps({"c": code.id, "h": census_hash, "y": birth_year})


def _usable(code: VotingCode, batch: CodeBatch) -> Cycle:
    """The code's cycle, when the code can be used now; else ServiceError (voided, used) or NotAllowed (phase)."""
    if batch.voided_at is not None:
        raise ServiceError(CODE_VOIDED, field="code")
    if code.used_on is not None:
        raise ServiceError(CODE_USED, field="code")
    cycle = db.session.get(Cycle, batch.cycle_id)
    services.check_voter(None, cycle, VoteChannel.CODE)
    return cycle


def _asks(batch: CodeBatch, cycle: Cycle) -> tuple[bool, bool]:
    """(census identifier, year of birth) to ask the holder of a code of ``batch``."""
    _required, minimum_age = census.eligibility_of(cycle)
    return batch.census_bound, bool(minimum_age) and not batch.census_bound


def open_code(text: str) -> CodeEntry:
    """Find a typed code by its hash and check that it can be used now. Raises ServiceError naming the problem
    (format, unknown, voided, used) or NotAllowed (voting not open). Writes nothing."""
    code_text = normalise_code(text)
    row = db.session.execute(select(VotingCode, CodeBatch).join(CodeBatch, CodeBatch.id == VotingCode.batch_id)
                             .where(VotingCode.code_hash == code_hash(code_text))).first()
    if row is None:
        raise ServiceError(CODE_UNKNOWN, field="code")
    code, batch = row
    cycle = _usable(code, batch)
    ask_identifier, ask_birth_year = _asks(batch, cycle)
    entry = CodeEntry(cycle, batch, _token(code), ask_identifier, ask_birth_year)
    if not entry.needs_details:
        _check_can_vote(cycle, _voter(code, batch, "", 0))
    return entry


def _voter(code: VotingCode, batch: CodeBatch, census_hash: str, birth_year: int) -> services.Voter:
    if batch.census_bound:
        entry = census.entry_for_key(census.CENSUS_PREFIX + census_hash) if census_hash else None
        if entry is None:
            raise ServiceError(CODE_EXPIRED)
        return services.voter_for_census(entry)
    return services.Voter(key=f"code:{code.id}", district_id=batch.district_id, birth_year=birth_year or None)


def _check_can_vote(cycle: Cycle, voter: services.Voter) -> None:
    if services.participation_of(voter, cycle) is not None:
        raise ServiceError(services.ALREADY_VOTED)
    services.check_eligible(voter, cycle)


def _load(token: str) -> tuple[VotingCode, CodeBatch, dict]:
    try:
        data = _serializer().loads(token or "", max_age=TOKEN_MAX_AGE)
    except BadSignature:
        raise ServiceError(CODE_EXPIRED)
    row = db.session.execute(select(VotingCode, CodeBatch).join(CodeBatch, CodeBatch.id == VotingCode.batch_id)
                             .where(VotingCode.id == data.get("c"))).first() if isinstance(data, dict) else None
    if row is None:
        raise ServiceError(CODE_EXPIRED)
    return row[0], row[1], data


def entry_from_token(token: str) -> CodeEntry:
    """The code a token stands for, as ``open_code`` found it (for the page asking the holder's details)."""
    code, batch, _data = _load(token)
    cycle = _usable(code, batch)
    return CodeEntry(cycle, batch, token, *_asks(batch, cycle))


def confirm_details(token: str, identifier: str | None, birth_year: int | None) -> tuple[Cycle, str]:
    """The holder's census identifier (census-bound batch) or year of birth (minimum age): checked, and sealed
    into a new token. Raises ServiceError with ``field`` set ("identifier", "birth_year") or NotAllowed."""
    code, batch, _data = _load(token)
    cycle = _usable(code, batch)
    ask_identifier, ask_birth_year = _asks(batch, cycle)
    census_hash, year = "", 0
    if ask_identifier:
        normalised = census.normalise_identifier(identifier or "")
        if not normalised or len(normalised) > census.MAX_IDENTIFIER:
            raise ServiceError(_l("Please type the identifier printed on the letter from the city."),
                               field="identifier")
        entry = census.find_entry(normalised)
        if entry is None or not entry.active:
            raise ServiceError(_l("This identifier is not on the list of residents. Please check what you typed; "
                                  "if it is right, contact city hall."), field="identifier")
        if entry.district_id != batch.district_id:
            raise ServiceError(_l("This code is for the residents of another district than yours: vote online "
                                  "with your identifier, at a polling station, or ask city hall for a code of your "
                                  "district."), field="identifier")
        census_hash = entry.identifier_hash
    if ask_birth_year:
        this_year = local_now().year
        if birth_year is None or not census.OLDEST_YEAR <= birth_year <= this_year:
            raise ServiceError(_l("Please enter your year of birth: four digits, from %(oldest)d to %(latest)d.",
                                  oldest=census.OLDEST_YEAR, latest=this_year), field="birth_year")
        year = birth_year
    _check_can_vote(cycle, _voter(code, batch, census_hash, year))
    return cycle, _token(code, census_hash, year)


def voter_from_token(token: str) -> tuple[Cycle, services.Voter]:
    """The cycle and the voter a token stands for, while its code can still be used."""
    code, batch, data = _load(token)
    cycle = _usable(code, batch)
    ask_identifier, ask_birth_year = _asks(batch, cycle)
    if (ask_identifier and not data.get("h")) or (ask_birth_year and not data.get("y")):
        raise ServiceError(CODE_EXPIRED)
    return cycle, _voter(code, batch, str(data.get("h") or ""), int(data.get("y") or 0))


def cast_with_code(token: str, choices_by_envelope: dict) -> tuple[Cycle, str]:
    """Consume the code and cast the ballot in one transaction; return the cycle and the receipt code.

    The conditional UPDATE is what makes a code single-use under concurrency (PostgreSQL re-reads the row after
    waiting for a concurrent use to commit; SQLite runs one writer at a time from BEGIN IMMEDIATE on). On any error
    the caller rolls back, and the code stays unused.
    """
    begin_write()
    code, batch, _data = _load(token)
    cycle, voter = voter_from_token(token)
    live_batch = exists().where(CodeBatch.id == VotingCode.batch_id, CodeBatch.voided_at.is_(None))
    consumed = db.session.execute(update(VotingCode)
                                  .where(VotingCode.id == code.id, VotingCode.used_on.is_(None), live_batch)
                                  .values(used_on=local_now().date())
                                  .execution_options(synchronize_session=False)).rowcount
    if consumed != 1:
        raise ServiceError(CODE_USED)
    receipt = services.cast(None, cycle, choices_by_envelope, channel=VoteChannel.CODE, voter=voter)
    return cycle, receipt
