"""The census: the city's list of eligible residents, residents verifying their entry, and who may vote.

Only a keyed hash of each identifier is stored: ``identifier_hash`` is HMAC-SHA256 of the normalised identifier
(capitals, without spaces, dashes or dots) keyed with ``CENSUS_SECRET`` (derived from ``SECRET_KEY`` when not set).
Without the key, a table of hashes cannot be turned back into identifiers by trying them all.

- ``import_census(actor, data)``: officials upload a CSV (identifier, district, year of birth). The whole file is
  checked first; any error is reported with its line number and nothing is written. Then it replaces the list:
  new identifiers are added, known ones updated (and reactivated), and those the file no longer lists become
  inactive (never deleted; their binding to an account stays). Bulk statements, a few per thousand rows.
- ``bind_census(actor, identifier)``: a resident types their identifier once; the entry binds to their account
  (one account per entry and one entry per account, in the database) and, in the same transaction, the votes
  the account already cast (``user:<id>``) move to the census key, so that the person cannot vote again on paper.
- ``check_eligible(voter, cycle)``: the cycle's census requirement and minimum age.

Services take the acting user, flush, and leave the commit to the caller.
"""

import csv
import hashlib
import hmac
import io
import re
import unicodedata
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.accounts.services import ensure_can_write
from app.core import audit
from app.core.clock import local_now, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.transactions import begin_write
from app.cycles.models import Cycle, District
from app.extensions import db
from app.voting.models import BallotRules, BirthYearDeclaration, CensusEntry, Participation
from app.voting.permissions import can

MAX_ERRORS = 50  # errors listed for one file; the count says how many more there are
MAX_IDENTIFIER = 64
OLDEST_YEAR = 1880
CHUNK = 2000

CENSUS_PREFIX = "census:"
_SEPARATORS = re.compile(r"[\s\-.]+")


class CensusFileInvalid(ServiceError):
    """A census file with errors; ``errors`` lists them (translated, each naming its line)."""

    def __init__(self, errors: list, more: int = 0):
        super().__init__(_l("The file was not imported: please correct it and send it again. Nothing has "
                            "changed in the list of residents."))
        self.errors = errors
        self.more = more


class CensusRequired(NotAllowed):
    """The cycle requires a verified census entry and the voter has none."""


class BirthYearNeeded(NotAllowed):
    """The cycle has a minimum age and we do not know the voter's year of birth."""


@dataclass
class CensusImport:
    """What an upload did."""

    rows: int = 0
    added: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)


# --- Identifiers -----------------------------------------------------------------------------------------------------

def census_secret() -> bytes:
    secret = current_app.config.get("CENSUS_SECRET")
    if secret:
        return secret.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"census-identifiers", hashlib.sha256).digest()


def normalise_identifier(text: str) -> str:
    """An identifier as typed or exported in the form its hash is computed from: capitals, without spaces, dashes
    or dots ("lil 000-123" = "LIL000123"). Two identifiers of one file that differ only so are reported as one."""
    text = text or ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub("", text).upper()


def _digest(secret: bytes, normalised: str) -> str:
    return hmac.digest(secret, normalised.encode(), "sha256").hex()


def identifier_hash(identifier: str, secret: bytes | None = None) -> str:
    return _digest(secret or census_secret(), normalise_identifier(identifier))


def census_key(entry: CensusEntry) -> str:
    """The voter key of a census entry (``app.voting.services.Voter``)."""
    return CENSUS_PREFIX + entry.identifier_hash


def entry_for_key(key: str) -> CensusEntry | None:
    if not key.startswith(CENSUS_PREFIX):
        return None
    return db.session.scalar(select(CensusEntry).where(CensusEntry.identifier_hash == key[len(CENSUS_PREFIX):]))


def entry_of_account(user) -> CensusEntry | None:
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(select(CensusEntry).where(CensusEntry.user_id == user.id))


def find_entry(identifier: str) -> CensusEntry | None:
    return db.session.scalar(select(CensusEntry).where(CensusEntry.identifier_hash == identifier_hash(identifier)))


def declared_birth_year(user) -> int | None:
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(select(BirthYearDeclaration.birth_year).where(BirthYearDeclaration.user_id == user.id))


# --- Reading the file ------------------------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a district's name or slug: "Fives-Cail" = "fives cail"."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a byte order mark), else Windows-1252 (what spreadsheets in France often save)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _district_lookup() -> dict[str, int]:
    lookup = {}
    for district in db.session.scalars(select(District)):
        lookup.setdefault(fold(district.slug), district.id)
        lookup.setdefault(fold(district.name), district.id)
    return lookup


def parse_census(data: bytes, secret: bytes | None = None) -> tuple[dict[str, tuple[int, int]], list, int]:
    """Read a census file: {identifier hash: (district id, birth year)}, errors (the first MAX_ERRORS, each
    naming its line) and how many more errors there were. Blank lines are skipped; the first line is a header
    when its year of birth is not a number."""
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    districts = _district_lookup()
    folded: dict[str, int | None] = {}  # the district column repeats a few dozen values: fold each once
    secret = secret or census_secret()
    this_year = local_now().year
    entries: dict[str, tuple[int, int]] = {}
    first_line: dict[str, int] = {}
    errors: list = []
    count = 0
    header_checked = False

    def error(message) -> None:
        nonlocal count
        count += 1
        if len(errors) < MAX_ERRORS:
            errors.append(message)

    try:
        for row in rows:
            line = rows.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if not header_checked:
                header_checked = True
                if len(cells) >= 3 and not cells[2].isdigit() and not cells[0].isdigit():
                    continue  # a header: "identifiant;quartier;année de naissance"
            if len(cells) != 3:
                error(_l("Line %(line)d: expected 3 columns (identifier, district, year of birth), found %(count)d.",
                         line=line, count=len(cells)))
                continue
            identifier, district_text, year_text = cells
            normalised = normalise_identifier(identifier)
            if not normalised:
                error(_l("Line %(line)d: the identifier is missing.", line=line))
                continue
            if len(normalised) > MAX_IDENTIFIER:
                error(_l("Line %(line)d: the identifier is longer than %(max)d characters.", line=line,
                         max=MAX_IDENTIFIER))
                continue
            if district_text not in folded:
                folded[district_text] = districts.get(fold(district_text))
            district_id = folded[district_text]
            if district_id is None:
                error(_l("Line %(line)d: unknown district “%(district)s”.", line=line, district=district_text[:60]))
            if not (year_text.isdigit() and len(year_text) == 4 and OLDEST_YEAR <= int(year_text) <= this_year):
                error(_l("Line %(line)d: “%(year)s” is not a year of birth (four digits, from %(oldest)d to "
                         "%(latest)d).", line=line, year=year_text[:20], oldest=OLDEST_YEAR, latest=this_year))
                continue
            digest = _digest(secret, normalised)
            if digest in first_line:
                error(_l("Line %(line)d: this identifier is already on line %(first)d.", line=line,
                         first=first_line[digest]))
                continue
            first_line[digest] = line
            if district_id is not None:
                entries[digest] = (district_id, int(year_text))
    except csv.Error as problem:
        error(_l("Line %(line)d: the file cannot be read as CSV (%(problem)s).", line=rows.line_num,
                 problem=str(problem)[:80]))
    if not entries and not count:
        error(_l("The file lists no resident."))
    return entries, errors, max(0, count - len(errors))


# --- Writing the list ------------------------------------------------------------------------------------------------

def import_census(actor, data: bytes, filename: str = "") -> CensusImport:
    """Replace the census with the file's entries (see the module's docstring). Raises CensusFileInvalid (nothing
    written) or NotAllowed."""
    begin_write()  # first, before any read (see app.core.transactions); uploads are rare
    if not can(actor, "census.manage"):
        raise NotAllowed(_l("Only an official can upload the list of residents."))
    entries, errors, more = parse_census(data)
    if errors:
        raise CensusFileInvalid(errors, more)
    result = CensusImport(rows=len(entries))
    existing = db.session.execute(select(CensusEntry.identifier_hash, CensusEntry.id, CensusEntry.district_id,
                                         CensusEntry.birth_year, CensusEntry.active))
    changes, reactivate, gone = [], [], []
    for digest, entry_id, district_id, birth_year, active in existing:
        row = entries.pop(digest, None)
        if row is None:
            if active:
                gone.append(entry_id)
            continue
        if row != (district_id, birth_year) or not active:
            changes.append({"id": entry_id, "district_id": row[0], "birth_year": row[1], "active": True})
            if not active:
                reactivate.append(entry_id)
        else:
            result.unchanged += 1
    new = [{"identifier_hash": digest, "district_id": district_id, "birth_year": year, "active": True}
           for digest, (district_id, year) in entries.items()]
    _insert_entries(new)
    if changes:
        db.session.execute(update(CensusEntry), changes)  # executemany by primary key
    for start in range(0, len(gone), CHUNK):
        db.session.execute(update(CensusEntry).where(CensusEntry.id.in_(gone[start:start + CHUNK]))
                           .values(active=False).execution_options(synchronize_session=False))
    result.added, result.reactivated, result.deactivated = len(new), len(reactivate), len(gone)
    result.updated = len(changes) - len(reactivate)
    audit.record(actor, "census.uploaded", None, file=filename[:120], rows=result.rows, added=result.added,
                 updated=result.updated, reactivated=result.reactivated, deactivated=result.deactivated)
    db.session.flush()
    return result


def _insert_entries(rows: list[dict]) -> None:
    """Insert new census entries in bulk, in the current transaction: COPY on PostgreSQL (psycopg 3), elsewhere
    Core executemany (the ORM's bulk path costs more per row than the database does)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and rows:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(
                "COPY census_entry (identifier_hash, district_id, birth_year, active) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row["identifier_hash"], row["district_id"], row["birth_year"], row["active"]))
        return
    for start in range(0, len(rows), CHUNK):
        connection.execute(CensusEntry.__table__.insert(), rows[start:start + CHUNK])


def census_counts() -> dict[str, int]:
    row = db.session.execute(select(
        func.count(CensusEntry.id),
        func.count(CensusEntry.id).filter(CensusEntry.active.is_(True)),
        func.count(CensusEntry.user_id),
    )).one()
    return {"total": row[0], "active": row[1], "inactive": row[0] - row[1], "bound": row[2]}


# --- Residents verifying their entry ---------------------------------------------------------------------------------

def bind_census(actor, identifier: str) -> CensusEntry:
    """Bind the census entry of ``identifier`` to ``actor``'s account, once; move the account's votes to it."""
    from app.voting.services import voter_key

    begin_write()
    if not can(actor, "census.verify"):
        raise NotAllowed(_l("Please sign in to verify your residence."))
    ensure_can_write(actor)
    normalised = normalise_identifier(identifier)
    if not normalised or len(normalised) > MAX_IDENTIFIER:
        raise ServiceError(_l("Please type the identifier printed on the letter from the city."), field="identifier")
    # Locks the account against a vote cast at the same moment (see ``app.voting.services.cast``).
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    if entry_of_account(actor) is not None:
        raise ServiceError(_l("Your account is already verified."))
    entry = find_entry(normalised)
    if entry is None or not entry.active:
        raise ServiceError(_l("This identifier is not on the list of residents. Please check what you typed; if "
                              "it is right, contact city hall."), field="identifier")
    try:
        with db.session.begin_nested():
            bound = db.session.execute(update(CensusEntry)
                                       .where(CensusEntry.id == entry.id, CensusEntry.user_id.is_(None))
                                       .values(user_id=actor.id, bound_at=utcnow())
                                       .execution_options(synchronize_session=False)).rowcount
    except IntegrityError:  # the same account bound another entry at the same moment (user_id is unique)
        raise ServiceError(_l("Your account is already verified."))
    if bound != 1:
        raise ServiceError(_l("This identifier is already linked to another account. If it is yours, please "
                              "contact city hall."), field="identifier")
    db.session.refresh(entry)
    # The votes this account already cast become the person's: paper or another account cannot add a second one.
    key, old_key = census_key(entry), voter_key(actor)
    moved, clashes = [], []
    for participation in db.session.scalars(select(Participation).where(Participation.voter_key == old_key)):
        taken = db.session.scalar(select(Participation.id).where(Participation.cycle_id == participation.cycle_id,
                                                                 Participation.voter_key == key))
        if taken is None:
            participation.voter_key = key
            moved.append(participation.cycle_id)
        else:  # this person had already voted through another channel: both rows stay, for officials to see
            clashes.append(participation.cycle_id)
    audit.record(actor, "census.bound", entry, moved_cycles=moved, double_votes=clashes)
    db.session.flush()
    return entry


def declare_birth_year(actor, year: int | None) -> None:
    """A voter's year of birth, declared once, where the census gives none."""
    begin_write()
    if not can(actor, "census.verify"):
        raise NotAllowed(_l("Please sign in to vote."))
    ensure_can_write(actor)
    this_year = local_now().year
    if year is None or not OLDEST_YEAR <= year <= this_year:
        raise ServiceError(_l("Please enter your year of birth: four digits, from %(oldest)d to %(latest)d.",
                              oldest=OLDEST_YEAR, latest=this_year), field="birth_year")
    if declared_birth_year(actor) is not None or entry_of_account(actor) is not None:
        raise ServiceError(_l("Your year of birth is already known: it cannot be changed here. Contact city hall "
                              "if it is wrong."))
    db.session.add(BirthYearDeclaration(user_id=actor.id, birth_year=year, declared_at=utcnow()))
    db.session.flush()


# --- Who may vote ----------------------------------------------------------------------------------------------------

def eligibility_of(cycle: Cycle, rules=None) -> tuple[bool, int | None]:
    """(census required, minimum age) of a cycle, from ``rules`` or the cycle's rules (frozen rules come from the
    process's copy: see ``app.voting.services.rules_for``)."""
    from app.voting.services import rules_for

    rules = rules if rules is not None else rules_for(cycle)
    return bool(rules.census_required), rules.minimum_age


def birth_year_of(voter) -> int | None:
    """The voter's year of birth: the census's (or a code holder's), else the one their account declared."""
    if voter.birth_year is not None or voter.account is None or not voter.key.startswith("user:"):
        return voter.birth_year
    return declared_birth_year(voter.account)


def old_enough(birth_year: int, minimum_age: int, year: int | None = None) -> bool:
    """With only a year of birth, a person counts as having the age they reach during the year of the vote."""
    return (year or local_now().year) - birth_year >= minimum_age


def check_eligible(voter, cycle: Cycle, rules=None) -> None:
    """Raise NotAllowed (CensusRequired, BirthYearNeeded, or plain) when ``voter`` may not vote in ``cycle`` under
    ``rules`` (default: the cycle's). A census entry is read again unless the Voter was read with it; an account's
    declared year of birth is read only when the cycle has a minimum age and the census gives no year."""
    census_required, minimum_age = eligibility_of(cycle, rules)
    if voter.key.startswith(CENSUS_PREFIX):
        active = voter.census_active
        if active is None:
            entry = entry_for_key(voter.key)
            active = entry is not None and entry.active
        if not active:
            raise NotAllowed(_l("Your entry on the list of residents is no longer valid, so you cannot vote in this "
                                "budget. Please contact city hall."))
    elif census_required and voter.key.startswith("user:"):
        raise CensusRequired(_l("This budget is open to the residents on the city's list: please verify your "
                                "residence first with the identifier the city sent you."))
    if minimum_age:
        birth_year = birth_year_of(voter)
        if birth_year is None:
            raise BirthYearNeeded(_l("This budget is open to people aged %(age)d or over: please give your year of "
                                     "birth first.", age=minimum_age))
        if not old_enough(birth_year, minimum_age):
            raise NotAllowed(_l("This budget is open to people aged %(age)d or over (born in %(year)d or before): "
                                "you cannot vote in it yet.", age=minimum_age,
                                year=local_now().year - minimum_age))


def save_eligibility(actor, cycle: Cycle, census_required: bool, minimum_age: int | None) -> BallotRules:
    """Set who may vote in a cycle; refused once the first ballot is cast (frozen with the ballot rules)."""
    from app.voting.services import DEFAULT_RULES, rules_of

    begin_write()
    if not can(actor, "rules.manage"):
        raise NotAllowed(_l("Only an official can set who may vote."))
    if minimum_age is not None and not 0 <= minimum_age <= 120:
        raise ServiceError(_l("The minimum age is a number between 0 and 120."), field="minimum_age")
    frozen = _l("Ballots have already been cast in this budget: who may vote can no longer change.")
    rules = rules_of(cycle)
    if rules is None:
        try:
            with db.session.begin_nested():
                rules = BallotRules(cycle_id=cycle.id, **DEFAULT_RULES)
                db.session.add(rules)
        except IntegrityError:  # the first ballot saved (and froze) the default rules in the meantime
            raise ServiceError(frozen)
    values = {"census_required": bool(census_required), "minimum_age": minimum_age or None}
    changed = db.session.execute(update(BallotRules).where(BallotRules.id == rules.id, BallotRules.frozen_at.is_(None))
                                 .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ServiceError(frozen)
    db.session.refresh(rules)
    audit.record(actor, "voting.eligibility_saved", cycle, **values)
    db.session.flush()
    return rules

