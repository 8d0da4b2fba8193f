"""Sealing the ballots when voting closes, and the anonymised ballot export for officials."""

import csv
import io

import pytest
from sqlalchemy import select, text

from app.accounts.models import Role
from app.core import clock
from app.core.errors import NotAllowed
from app.core.models import AuditEntry
from app.cycles.models import Cycle
from app.extensions import db as _db
from app.voting import services
from app.voting.models import Ballot, BallotChoice, Participation
from tests.factories import make_user
from tests.voting.conftest import ids, later
from tests.voting.test_voting_race import committed_city  # noqa: F401 (fixture)

AFTER_CLOSE = 16  # days: make_voting_city's voting phase ends in 15 days


def vote_three(city) -> list[str]:
    """Three voters of the district, each with other choices; returns their receipt codes."""
    codes = []
    for n in range(3):
        voter = city.voter if n == 0 else make_user(district=city.district)
        codes.append(services.cast(voter, city.cycle, {None: ids(city.city_items[n:n + 2]),
                                                       city.district.id: ids(city.district_items[n:n + 1])}))
    return codes


def ballot_rows(db) -> set:
    ballots = set(db.session.execute(select(Ballot.id, Ballot.cycle_id, Ballot.district_id, Ballot.receipt_hash,
                                            Ballot.day)).tuples())
    choices = set(db.session.execute(select(BallotChoice.ballot_id, BallotChoice.ballot_item_id,
                                            BallotChoice.value)).tuples())
    return ballots | choices


# --- Sealing ---------------------------------------------------------------------------------------------------------

def test_sealing_rewrites_the_ballots_unchanged_once_voting_has_closed(city, db, monkeypatch):
    codes = vote_three(city)
    before = ballot_rows(db)
    assert services.seal_due_ballots() == []  # voting is open: nothing to seal
    monkeypatch.setattr(clock, "_now", later(AFTER_CLOSE))
    assert services.seal_due_ballots() == [city.cycle]
    assert ballot_rows(db) == before  # same ids, envelopes, days, receipts and choices
    assert db.session.get(Cycle, city.cycle.id).ballots_sealed_at is not None
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "voting.ballots_sealed")).all()
    assert entry.channel == "worker" and '"ballots": 6' in entry.details
    assert services.seal_due_ballots() == []  # once per cycle
    # The receipts still find their ballots once the results are out.
    monkeypatch.setattr(clock, "_now", later(AFTER_CLOSE + 30))
    assert len(services.check_receipt(city.cycle, codes[1])) == 2


def test_sealing_waits_for_the_grace_period_after_the_close(city, db, monkeypatch):
    vote_three(city)
    voting_end = next(p.ends_at for p in city.cycle.phases if p.kind.value == "voting")
    monkeypatch.setattr(clock, "_now", lambda: clock.as_utc(voting_end) + services.SEAL_GRACE / 2)
    assert services.voting_closed(city.cycle)
    assert services.seal_due_ballots() == []
    monkeypatch.setattr(clock, "_now", lambda: clock.as_utc(voting_end) + services.SEAL_GRACE * 2)
    assert services.seal_due_ballots() == [city.cycle]


def test_no_ballot_is_accepted_once_sealed_even_if_voting_reopens(city, db):
    vote_three(city)
    city.cycle.ballots_sealed_at = clock.utcnow()  # an official moved the dates back after the seal
    db.session.flush()
    with pytest.raises(NotAllowed):
        services.cast(make_user(district=city.district), city.cycle, {None: ids(city.city_items[:1]),
                                                                       city.district.id: []})


def xmins(app, table: str) -> list[str]:
    with app.app_context():
        return [row[0] for row in _db.session.execute(text(f"SELECT xmin::text FROM {table}"))]  # noqa: S608


def test_on_postgresql_sealed_ballots_share_one_transaction_id_that_no_participation_has(race_app,  # noqa: F811
                                                                                          committed_city):  # noqa: F811
    ids_, choices = committed_city
    with race_app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("xmin is a PostgreSQL system column")
    with race_app.test_request_context(headers={"Accept-Language": "en"}):
        cycle = _db.session.get(Cycle, ids_["cycle"])
        for _n in range(4):  # four votes, four transactions
            voter = make_user(district_id=ids_["district"])
            _db.session.commit()
            services.cast(voter, cycle, choices)
            _db.session.commit()
    # While voting is open, each ballot carries the transaction of its participation: the link sealing removes.
    assert set(xmins(race_app, "ballot")) <= set(xmins(race_app, "participation"))
    with race_app.test_request_context():
        sealed = services.seal_due_ballots(now=later(AFTER_CLOSE)())
        _db.session.commit()
        assert [c.id for c in sealed] == [ids_["cycle"]]
        services.vacuum_ballots()
    ballot_xmins, choice_xmins = set(xmins(race_app, "ballot")), set(xmins(race_app, "ballot_choice"))
    assert len(xmins(race_app, "ballot")) == 8 and len(ballot_xmins) == 1
    assert choice_xmins == ballot_xmins
    assert ballot_xmins.isdisjoint(xmins(race_app, "participation"))
    with race_app.app_context():
        assert _db.session.scalar(select(Cycle.ballots_sealed_at).where(Cycle.id == ids_["cycle"])) is not None
        assert len(_db.session.scalars(select(Participation)).all()) == 4


# --- The anonymised export -------------------------------------------------------------------------------------------

def test_the_export_lists_each_ballot_without_id_day_or_receipt(city, db, monkeypatch):
    vote_three(city)
    official = make_user(Role.OFFICIAL)
    with pytest.raises(NotAllowed):
        services.export_ballots_csv(official, city.cycle)  # voting is still open
    monkeypatch.setattr(clock, "_now", later(AFTER_CLOSE))
    with pytest.raises(NotAllowed):
        services.export_ballots_csv(make_user(Role.AGENT), city.cycle)
    rows = list(csv.reader(io.StringIO(services.export_ballots_csv(official, city.cycle))))
    assert rows[0] == ["Envelope", "Projects (numbers)", "Points or grades"]
    numbers = {item.id: str(item.proposal_id) for item in city.city_items + city.district_items}
    expected = []
    for n in range(3):
        expected.append(["Whole city", " ".join(numbers[i.id] for i in city.city_items[n:n + 2]), "1 1"])
        expected.append(["Wazemmes", numbers[city.district_items[n].id], "1"])
    assert sorted(rows[1:]) == sorted(expected)
    text_ = "\n".join(",".join(row) for row in rows)
    for ballot in db.session.scalars(select(Ballot)):
        assert ballot.id not in text_ and ballot.receipt_hash not in text_ and str(ballot.day) not in text_
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "voting.ballots_exported")).all()
    assert entry.actor_id == official.id and '"ballots": 6' in entry.details


def test_the_export_order_is_not_the_order_of_casting(city, db, monkeypatch):
    """Ten ballots in a city-wide envelope, each with one project of its own: across exports, their order changes."""
    city_ids = ids(city.city_items)
    for n in range(len(city_ids)):
        services.cast(make_user(district=city.other_district), city.cycle,
                      {None: [city_ids[n]], city.other_district.id: ids(city.other_items)})
    monkeypatch.setattr(clock, "_now", later(AFTER_CLOSE))
    official = make_user(Role.OFFICIAL)
    orders = set()
    for _attempt in range(5):
        rows = list(csv.reader(io.StringIO(services.export_ballots_csv(official, city.cycle))))[1:]
        orders.add(tuple(row[1] for row in rows if row[0] == "Whole city"))
    assert len(orders) > 1  # 6! orders: five identical draws happen once in 10^14


def test_export_cells_cannot_run_as_spreadsheet_formulas(city, db, monkeypatch):
    city.district.name = "=HYPERLINK(\"http://evil\")"
    vote_three(city)
    monkeypatch.setattr(clock, "_now", later(AFTER_CLOSE))
    rows = list(csv.reader(io.StringIO(services.export_ballots_csv(make_user(Role.OFFICIAL), city.cycle))))
    assert all(not cell.startswith("=") for row in rows for cell in row)
    assert any(row[0] == "'=HYPERLINK(\"http://evil\")" for row in rows)


def test_the_export_view_is_for_officials_after_the_close(city, client, login_as, monkeypatch):
    login_as(Role.AGENT)
    assert client.get(f"/vote/{city.slug}/ballots.csv").status_code == 403
    login_as(Role.OFFICIAL)
    assert client.get(f"/vote/{city.slug}/ballots.csv").status_code == 403  # voting still open
    assert "/ballots.csv" not in client.get(f"/vote/{city.slug}/rules").get_data(as_text=True)
    monkeypatch.setattr(clock, "_now", later(AFTER_CLOSE))
    assert f"/vote/{city.slug}/ballots.csv" in client.get(f"/vote/{city.slug}/rules").get_data(as_text=True)
    response = client.get(f"/vote/{city.slug}/ballots.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]


def test_the_worker_seals_a_closed_cycle_once(race_app, committed_city, monkeypatch):  # noqa: F811
    ids_, choices = committed_city
    with race_app.test_request_context(headers={"Accept-Language": "en"}):
        cycle = _db.session.get(Cycle, ids_["cycle"])
        slug = cycle.slug
        voter = make_user(district_id=ids_["district"])
        _db.session.commit()
        services.cast(voter, cycle, choices)
        _db.session.commit()
    runner = race_app.test_cli_runner()
    assert "sealed" not in runner.invoke(args=["pb", "worker", "--once"]).output  # voting still open
    monkeypatch.setattr(clock, "_now", later(AFTER_CLOSE))
    result = runner.invoke(args=["pb", "worker", "--once"])
    assert result.exit_code == 0 and f"Ballots sealed for {slug}." in result.output, result.output
    assert "sealed" not in runner.invoke(args=["pb", "worker", "--once"]).output  # once per cycle
    with race_app.app_context():
        assert _db.session.scalar(select(Cycle.ballots_sealed_at).where(Cycle.id == ids_["cycle"])) is not None
        assert len(_db.session.scalars(select(Ballot)).all()) == 2
