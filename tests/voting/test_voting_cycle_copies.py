"""The ballot's pages take the cycle, and the themes and photos of its projects, from this process's copies
(``app.core.copies``): what still holds with a copy. Voting closes by the server's clock, an edit made in this
process is seen at the next request, and an edit made elsewhere (another gunicorn worker) once the copy is older
than ``CYCLE_CACHE_SECONDS``."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.core import clock, copies
from app.cycles.models import Phase, PhaseKind
from app.proposals.models import BallotItem
from tests.voting.conftest import counts, later
from tests.voting.test_voting_views import EN, ballot_data, post

CLOSED = "Voting is not open"


@pytest.fixture
def voter(client, web_city):
    from tests.conftest import login

    login(client, web_city.voter)
    return web_city.voter


def ballot_page(client, city) -> str:
    return client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)


def voting_phase(db, city) -> Phase:
    return db.session.scalar(select(Phase).where(Phase.cycle_id == city.cycle.id, Phase.kind == PhaseKind.VOTING))


def test_voting_closes_by_the_servers_clock_with_a_copy_of_the_cycle(client, web_city, voter, db, monkeypatch):
    assert CLOSED not in ballot_page(client, web_city)  # this process now has a copy of the cycle
    monkeypatch.setattr(clock, "_now", later(16))  # the voting phase has ended
    assert CLOSED in ballot_page(client, web_city)
    response = post(client, f"/vote/{web_city.slug}/confirm",
                    ballot_data(web_city, web_city.city_items[:1], web_city.district_items[:1]))
    assert response.status_code == 403 and CLOSED in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)


def test_an_edit_in_this_process_is_seen_at_the_next_request(client, web_city, voter, db):
    assert CLOSED not in ballot_page(client, web_city)
    phase = voting_phase(db, web_city)
    phase.ends_at = clock.utcnow() - timedelta(minutes=1)  # an official ends voting now
    db.session.commit()
    response = post(client, f"/vote/{web_city.slug}/confirm",
                    ballot_data(web_city, web_city.city_items[:1], web_city.district_items[:1]))
    assert response.status_code == 403 and CLOSED in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)


def test_an_edit_in_another_process_is_seen_once_the_copy_is_older_than_its_age(client, web_city, voter, db, app,
                                                                                   monkeypatch):
    now = copies.monotonic()
    monkeypatch.setattr(copies, "monotonic", lambda: now)
    assert CLOSED not in ballot_page(client, web_city)
    # Another process ends voting: a statement this process's session does not see as an edit of a cycle.
    db.session.execute(text("UPDATE phase SET ends_at = :ended WHERE cycle_id = :cycle AND kind = :kind"),
                       {"ended": clock.utcnow() - timedelta(minutes=1), "cycle": web_city.cycle.id, "kind": "voting"})
    db.session.commit()
    assert CLOSED not in ballot_page(client, web_city)  # the copy, read less than CYCLE_CACHE_SECONDS ago
    monkeypatch.setattr(copies, "monotonic", lambda: now + app.config["CYCLE_CACHE_SECONDS"])
    assert CLOSED in ballot_page(client, web_city)
    response = post(client, f"/vote/{web_city.slug}/confirm",
                    ballot_data(web_city, web_city.city_items[:1], web_city.district_items[:1]))
    assert response.status_code == 403
    assert counts(db) == (0, 0, 0)



def test_a_theme_renamed_in_this_process_shows_on_the_next_ballot_page(client, web_city, voter, db):
    category = db.session.get(BallotItem, web_city.city_items[0].id).proposal.category
    assert f"Theme: {category.name_en}" in ballot_page(client, web_city)
    category.name_en = "Getting around"
    db.session.commit()
    assert "Theme: Getting around" in ballot_page(client, web_city)


def test_the_first_voter_freezes_the_ballot_even_when_the_copy_is_not_frozen(app, client, db):
    """A copy of a cycle whose ballot is not frozen yet (read by a visitor who could not vote) must not keep the
    first voter from freezing it: freezing is a write, made on the cycle read again, never on the shared copy."""
    from app.cycles.models import Cycle
    from tests.conftest import login
    from tests.factories import make_user
    from tests.voting.conftest import make_voting_city

    city = make_voting_city(frozen=False)
    unconfirmed = make_user(district=city.district, confirmed=False, locale="en")
    db.session.commit()
    login(client, unconfirmed)
    assert "confirm your email address" in ballot_page(client, city)  # the process now has an unfrozen copy
    login(client, city.voter)
    page = ballot_page(client, city)
    assert 'name="citywide"' in page
    db.session.expire_all()
    assert db.session.get(Cycle, city.cycle.id).ballot_frozen_at is not None
    items = db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == city.cycle.id)).all()
    chosen = {"citywide": [item.id for item in items if item.district_id is None][:1],
              f"district_{city.district.id}": [item.id for item in items if item.district_id == city.district.id][:1]}
    response = post(client, f"/vote/{city.slug}/confirm", chosen)
    assert response.status_code == 200 and counts(db) == (1, 2, 2)
