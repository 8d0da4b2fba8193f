"""Secrecy of the ballot, checked on the schema the migrations built and on the rows a vote writes."""

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from app.extensions import db as _db
from app.voting import services
from tests.voting.conftest import ids

BALLOT_TABLES = ("ballot", "ballot_choice")
# Where a ballot may point: its cycle, its envelope (district), its own choices, the frozen projects.
ALLOWED_TARGETS = {"cycle", "district", "ballot", "ballot_item"}


def schema():
    return inspect(_db.session.connection())


def test_no_ballot_column_or_foreign_key_leads_to_a_voter(db):
    inspector = schema()
    assert {c["name"] for c in inspector.get_columns("ballot")} == {
        "id", "cycle_id", "district_id", "receipt_hash", "day"}
    assert {c["name"] for c in inspector.get_columns("ballot_choice")} == {"ballot_id", "ballot_item_id", "value"}
    for table in BALLOT_TABLES:
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert targets <= ALLOWED_TARGETS, (table, targets)
        for column in inspector.get_columns(table):
            assert not any(word in column["name"] for word in ("user", "voter", "participation", "census", "code",
                                                                "created", "time", "address", "session"))


def test_ballots_carry_a_date_and_never_a_time(db):
    for column in schema().get_columns("ballot"):
        type_name = str(column["type"]).upper()
        assert "TIME" not in type_name, column  # DATETIME, TIMESTAMP, TIME
    [day] = [c for c in schema().get_columns("ballot") if c["name"] == "day"]
    assert str(day["type"]).upper() == "DATE"


def test_the_participation_register_says_who_not_what(db):
    inspector = schema()
    assert {c["name"] for c in inspector.get_columns("participation")} == {
        "id", "cycle_id", "voter_key", "channel", "recorded_by_id", "station_id", "day"}
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("participation")} == {
        "cycle", "user", "polling_station"}
    uniques = [sorted(u["column_names"]) for u in inspector.get_unique_constraints("participation")]
    assert ["cycle_id", "voter_key"] in uniques


def test_a_cast_ballot_row_holds_only_its_random_id_day_envelope_and_hashed_receipt(city, db):
    code = services.cast(city.voter, city.cycle, {None: ids(city.city_items[:1]),
                                                   city.district.id: ids(city.district_items[:1])})
    rows = db.session.execute(text("SELECT id, cycle_id, district_id, receipt_hash, day FROM ballot")).all()
    assert len(rows) == 2
    for ballot_id, cycle_id, _district, receipt, day in rows:
        assert len(ballot_id) == 32 and cycle_id == city.cycle.id
        assert len(receipt) == 64 and code.replace("-", "") not in receipt
        assert len(str(day)) == 10  # "YYYY-MM-DD": nothing finer than the day
    voter_id = str(city.voter.id)
    for (ballot_id,) in db.session.execute(text("SELECT id FROM ballot")):
        assert voter_id != ballot_id


def test_sqlite_keeps_no_hidden_insertion_order_of_ballots(city, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's physical order is discussed in app/voting/models.py")
    for table in BALLOT_TABLES:
        with pytest.raises(OperationalError, match="rowid"), db.session.begin_nested():
            db.session.execute(text(f"SELECT rowid FROM {table}"))  # noqa: S608 (table names of this test)
