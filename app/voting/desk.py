"""The staff desk: live turnout of a cycle, codes issued and used, paper ballots entered. Counts only, never choices.

The figures are computed by a handful of grouped queries and cached for ``DESK_CACHE_SECONDS`` (15 s by default)
with Flask-Caching: a desk left open by several officials, each page refreshing itself, costs the database one
computation per cycle and period, whatever the number of viewers. The cache holds only plain numbers and names,
keyed by cycle; it is per process with the default ``SimpleCache`` and shared by every worker with
``CACHE_TYPE=RedisCache``.

Home district of a participation: the voter key says who voted (``user:<id>``, ``census:<hmac>``, ``code:<id>``);
the account's district, the census entry's district or the code batch's district is theirs.
"""

from collections import Counter

from flask import current_app
from sqlalchemy import String, cast, func, literal, select

from app.accounts.models import User
from app.core.clock import utcnow
from app.cycles.models import Cycle, District
from app.extensions import cache, db
from app.voting import codes, paper
from app.voting.models import Ballot, CensusEntry, CodeBatch, Participation, VoteChannel, VotingCode


def _cache_key(cycle: Cycle) -> str:
    return f"voting-desk:{cycle.id}"


def desk_figures(cycle: Cycle) -> dict:
    """The desk's figures for ``cycle``, at most ``DESK_CACHE_SECONDS`` old."""
    key = _cache_key(cycle)
    figures = cache.get(key)
    if figures is None:
        figures = compute_figures(cycle)
        cache.set(key, figures, timeout=current_app.config["DESK_CACHE_SECONDS"])
    return figures


def forget_figures(cycle: Cycle) -> None:
    cache.delete(_cache_key(cycle))


def compute_figures(cycle: Cycle) -> dict:
    """Plain data (cacheable): totals per channel, per envelope, per home district; code batches; paper entries.

    Envelope keys are district ids, None for the city-wide envelope (labelled by the page, in the reader's
    language)."""
    by_channel = dict(db.session.execute(
        select(Participation.channel, func.count()).where(Participation.cycle_id == cycle.id)
        .group_by(Participation.channel)).all())
    channels = [(channel.value, by_channel.get(channel, 0)) for channel in VoteChannel]
    total = sum(count for _channel, count in channels)
    ballots = dict(db.session.execute(
        select(Ballot.district_id, func.count()).where(Ballot.cycle_id == cycle.id)
        .group_by(Ballot.district_id)).all())
    names = dict(db.session.execute(select(District.id, District.name)).all())
    envelopes = []
    if cycle.citywide_envelope_cents is not None:
        envelopes.append((None, ballots.get(None, 0)))
    for envelope in sorted(cycle.envelopes, key=lambda e: names.get(e.district_id, "")):
        if envelope.has_voting:
            envelopes.append((names.get(envelope.district_id, "?"), ballots.get(envelope.district_id, 0)))
    homes = _home_districts(cycle)
    known = sum(homes.values())
    home_rows = sorted(((names.get(district_id, "?"), count) for district_id, count in homes.items()
                        if district_id is not None), key=lambda row: row[0].casefold())
    unknown = total - known + homes.get(None, 0)
    batches = [(row.batch.label, names.get(row.batch.district_id, ""), row.batch.census_bound, row.batch.size,
                row.used, row.batch.voided_at is not None) for row in codes.batches_of(cycle)]
    stations = [(station.name, staff, count) for station, staff, count in paper.entries_by_station(cycle)]
    return {
        "total": total,
        "channels": channels,
        "envelopes": envelopes,
        "homes": home_rows,
        "unknown_home": unknown,
        "batches": batches,
        "codes_issued": sum(b[3] for b in batches),
        "codes_used": sum(b[4] for b in batches),
        "stations": stations,
        "computed_at": utcnow(),
    }


def _home_districts(cycle: Cycle) -> Counter:
    """Participations of ``cycle`` per home district id (None: an account without a district)."""

    def key(prefix: str, column):
        return literal(prefix, String) + cast(column, String)

    counts: Counter = Counter()
    in_cycle = Participation.cycle_id == cycle.id
    queries = (
        select(User.district_id, func.count())
        .join(Participation, Participation.voter_key == key("user:", User.id)).where(in_cycle)
        .group_by(User.district_id),
        select(CensusEntry.district_id, func.count())
        .join(Participation, Participation.voter_key == key("census:", CensusEntry.identifier_hash)).where(in_cycle)
        .group_by(CensusEntry.district_id),
        select(CodeBatch.district_id, func.count())
        .join(VotingCode, VotingCode.batch_id == CodeBatch.id)
        .join(Participation, Participation.voter_key == key("code:", VotingCode.id)).where(in_cycle)
        .group_by(CodeBatch.district_id),
    )
    for query in queries:
        for district_id, count in db.session.execute(query):
            counts[district_id] += count
    return counts
