"""Paper ballots at polling stations: stations, staff checking a person against the census, entering their ballot.

A staff member (an official or a call-center agent, see ``permissions``) signs in at one open station of a cycle.
For each person who comes to vote they type the identifier on the person's letter: ``check_person`` says whether
the person is on the list, active, old enough, and whether they have already voted (and through which channel).
The person's ballot is then entered on the same ballot form as on the web (``app.voting.views`` with a ``paper``
field carrying a signed token of the census entry, never the identifier) and cast by the same
``services.cast`` with channel "paper", the station and the staff member. The participation register, unique per
cycle and census entry, refuses a second vote whichever channel came first.

Every station change, check and paper ballot is audited (who, where, what result), never a ballot's choices.
"""

from dataclasses import dataclass

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.accounts.services import ensure_can_write
from app.core import audit
from app.core.errors import NotAllowed, ServiceError
from app.core.transactions import begin_write
from app.cycles.models import Cycle
from app.cycles.phases import allows
from app.cycles.services import phase_of
from app.extensions import db
from app.voting import census, services
from app.voting.models import CensusEntry, Participation, PollingStation, VoteChannel
from app.voting.permissions import can

TOKEN_MAX_AGE = 3600  # seconds between checking a person and confirming their ballot


class PersonStatus:
    FOUND = "found"
    NOT_FOUND = "not_found"
    INACTIVE = "inactive"
    VOTED = "voted"
    TOO_YOUNG = "too_young"


@dataclass
class PersonCheck:
    """What the census says about a person at a polling station."""

    status: str
    message: object
    entry: CensusEntry | None = None
    participation: Participation | None = None
    token: str = ""

    @property
    def may_vote(self) -> bool:
        return self.status == PersonStatus.FOUND


def channel_label(channel) -> str:
    return str({
        VoteChannel.WEB: _l("online"),
        VoteChannel.PHONE: _l("by phone"),
        VoteChannel.PAPER: _l("on paper at a polling station"),
        VoteChannel.CODE: _l("with a voting code"),
    }[VoteChannel(channel)])


# --- Stations (officials) --------------------------------------------------------------------------------------------

def stations_of(cycle: Cycle, open_only: bool = False) -> list[PollingStation]:
    query = select(PollingStation).where(PollingStation.cycle_id == cycle.id)
    if open_only:
        query = query.where(PollingStation.open.is_(True))
    return list(db.session.scalars(query.order_by(PollingStation.name)))


def add_station(actor, cycle: Cycle, name: str, address: str = "") -> PollingStation:
    begin_write()
    if not can(actor, "stations.manage"):
        raise NotAllowed(_l("Only an official can manage polling stations."))
    name, address = (name or "").strip(), (address or "").strip()
    if not name or len(name) > 120:
        raise ServiceError(_l("Please give the station a name (at most 120 characters)."), field="name")
    if len(address) > 200:
        raise ServiceError(_l("The address has at most 200 characters."), field="address")
    station = PollingStation(cycle_id=cycle.id, name=name, address=address)
    try:
        with db.session.begin_nested():
            db.session.add(station)
    except IntegrityError:
        raise ServiceError(_l("This budget already has a polling station with this name."), field="name")
    audit.record(actor, "paper.station_added", station, cycle=cycle.id, name=name)
    db.session.flush()
    return station


def set_station_open(actor, station: PollingStation, is_open: bool) -> None:
    begin_write()
    if not can(actor, "stations.manage"):
        raise NotAllowed(_l("Only an official can manage polling stations."))
    station.open = bool(is_open)
    audit.record(actor, "paper.station_opened" if is_open else "paper.station_closed", station)
    db.session.flush()


def entries_by_station(cycle: Cycle) -> list[tuple[PollingStation, str, int]]:
    """Paper ballots entered per station and staff member: (station, staff label, count), by station."""
    rows = db.session.execute(
        select(PollingStation, User.display_name, func.count(Participation.id))
        .join(Participation, Participation.station_id == PollingStation.id)
        .outerjoin(User, User.id == Participation.recorded_by_id)
        .where(PollingStation.cycle_id == cycle.id, Participation.channel == VoteChannel.PAPER)
        .group_by(PollingStation.id, User.id, User.display_name)
        .order_by(PollingStation.name, User.display_name))
    return [(station, name or "—", count) for station, name, count in rows]


# --- Staff at a station ----------------------------------------------------------------------------------------------

def ensure_staff(actor, station: PollingStation) -> None:
    """Raise NotAllowed unless ``actor`` may enter paper ballots at ``station`` now."""
    if not can(actor, "paper.enter"):
        raise NotAllowed(_l("Only city staff can enter paper ballots."))
    ensure_can_write(actor)
    if not station.open:
        raise NotAllowed(_l("This polling station is closed."))
    if not allows(phase_of(db.session.get(Cycle, station.cycle_id)), "vote"):
        raise NotAllowed(_l("Voting is not open for this budget: ballots are accepted only during the voting "
                            "phase."))


def sign_in(actor, station: PollingStation) -> None:
    begin_write()
    ensure_staff(actor, station)
    audit.record(actor, "paper.signed_in", station)
    db.session.flush()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="paper-voter")


def check_person(actor, station: PollingStation, identifier: str) -> PersonCheck:
    """Look a person up by the identifier on their letter. Audited (staff, station, result), never the identifier."""
    begin_write()  # it writes the audit entry after reading: take SQLite's write lock first
    ensure_staff(actor, station)
    normalised = census.normalise_identifier(identifier)
    if not normalised or len(normalised) > census.MAX_IDENTIFIER:
        raise ServiceError(_l("Please type the identifier printed on the person's letter."), field="identifier")
    cycle = db.session.get(Cycle, station.cycle_id)
    entry = census.find_entry(normalised)
    if entry is None:
        check = PersonCheck(PersonStatus.NOT_FOUND, _l("Not on the list of residents: this person cannot vote "
                                                       "here. Check the identifier with them."))
    elif not entry.active:
        check = PersonCheck(PersonStatus.INACTIVE, _l("On the list, but no longer active (moved away or removed "
                                                      "by the city): this person cannot vote."), entry)
    else:
        voter = services.voter_for_census(entry)
        participation = services.participation_of(voter, cycle)
        if participation is not None:
            check = PersonCheck(PersonStatus.VOTED, _l("This person has already voted in this budget, %(channel)s, "
                                                       "on %(day)s.", channel=channel_label(participation.channel),
                                                       day=LazyString(format_date, participation.day, "long")),
                                  entry, participation)
        else:
            try:
                census.check_eligible(voter, cycle)
            except NotAllowed as refusal:
                check = PersonCheck(PersonStatus.TOO_YOUNG, refusal.message, entry)
            else:
                token = _serializer().dumps({"s": station.id, "h": entry.identifier_hash, "u": actor.id})
                check = PersonCheck(PersonStatus.FOUND, _l("On the list and has not voted yet: enter their ballot."),
                                    entry, token=token)
    audit.record(actor, "paper.checked", station, result=check.status)
    db.session.flush()
    return check


def voter_from_token(actor, cycle: Cycle, token: str) -> tuple[PollingStation, services.Voter]:
    """The station and the person a token (from ``check_person``) stands for; refused when it is not this staff
    member's, not this cycle's, expired or tampered with."""
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        raise NotAllowed(_l("This ballot entry has expired: check the person again."))
    station = db.session.get(PollingStation, data.get("s") or 0)
    if station is None or station.cycle_id != cycle.id or data.get("u") != getattr(actor, "id", None):
        raise NotAllowed(_l("This ballot entry has expired: check the person again."))
    ensure_staff(actor, station)
    entry = census.entry_for_key(census.CENSUS_PREFIX + str(data.get("h")))
    if entry is None:
        raise NotAllowed(_l("This ballot entry has expired: check the person again."))
    return station, services.voter_for_census(entry)


def cast_paper(actor, cycle: Cycle, token: str, choices_by_envelope: dict) -> str:
    """Cast the ballot of the person checked at a station: the same ``cast`` as the web, channel paper."""
    begin_write()
    station, voter = voter_from_token(actor, cycle, token)
    return services.cast(actor, cycle, choices_by_envelope, channel=VoteChannel.PAPER, voter=voter, station=station)
