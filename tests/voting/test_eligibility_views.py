"""Census, eligibility and paper-ballot pages through the test client: roles, flows, rate limits, refusals."""

import io
import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.models import AuditEntry
from app.voting import census, services
from app.voting.models import CensusEntry, Participation, PollingStation, VoteChannel
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.voting.conftest import counts, ids, make_census_entry, make_voting_city
from tests.voting.test_voting_views import EN, ballot_data, receipt_in

STAFF = (Role.OFFICIAL, Role.AGENT)


@pytest.fixture
def city(web_city):
    return web_city


@pytest.fixture
def station(city, db):
    station = PollingStation(cycle_id=city.cycle.id, name="Mairie de Wazemmes")
    db.session.add(station)
    db.session.commit()
    return station


def one_each(city) -> dict:
    return {None: ids(city.city_items[:1]), city.district.id: ids(city.district_items[:1])}


def post(client, path: str, data: dict | None = None, page: str = "/", **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})}, headers=EN, **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


def routes(city, station) -> dict[str, tuple[str, frozenset]]:
    """Every new page -> (path, roles allowed)."""
    everyone = frozenset(Role)
    return {
        "census upload": ("/census", frozenset({Role.OFFICIAL})),
        "census verify": ("/census/verify", everyone),
        "birth year": (f"/vote/{city.slug}/birth-year", everyone),
        "eligibility": (f"/vote/{city.slug}/eligibility", frozenset({Role.OFFICIAL})),
        "stations": (f"/vote/{city.slug}/stations", frozenset({Role.OFFICIAL})),
        "paper stations": (f"/vote/{city.slug}/paper", frozenset(STAFF)),
        "paper console": (f"/vote/{city.slug}/paper/{station.id}", frozenset(STAFF)),
    }


def test_every_role_against_every_new_page(client, city, station, db, any_role):
    user = make_user(any_role, locale="en")
    db.session.commit()
    for name, (path, _allowed) in routes(city, station).items():
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/account/login" in anonymous.location, name
    login(client, user)
    for name, (path, allowed) in routes(city, station).items():
        status = client.get(path, headers=EN).status_code
        if any_role in allowed:
            # Staff reach the console only once signed in at the station; the birth-year page sends back to the
            # ballot when nothing is needed.
            assert status in (200, 302), (name, status)
        else:
            assert status == 403, (name, status)
    for path, data in ((f"/vote/{city.slug}/stations", {"name": "Gare"}),
                       (f"/vote/{city.slug}/paper/{station.id}/sign-in", {}),
                       (f"/vote/{city.slug}/stations/{station.id}/close", {}),
                       (f"/vote/{city.slug}/eligibility", {"census_required": "y", "minimum_age": "16"})):
        response = post(client, path, data, page=f"/budgets/{city.slug}")
        allowed = Role.OFFICIAL if "sign-in" not in path else None
        if any_role == allowed or ("sign-in" in path and any_role in STAFF):
            assert response.status_code == 302, (path, response.status_code)
        else:
            assert response.status_code == 403, (path, response.status_code)
    response = upload(client, b"A1;Wazemmes;1980\n")
    assert response.status_code == (302 if any_role == Role.OFFICIAL else 403)
    db.session.expire_all()
    assert db.session.get(PollingStation, station.id).open is (any_role != Role.OFFICIAL)
    assert census.census_counts()["total"] == (1 if any_role == Role.OFFICIAL else 0)
    assert census.eligibility_of(city.cycle) == ((True, 16) if any_role == Role.OFFICIAL else (False, None))


def test_posts_without_csrf_token_are_refused(client, city, station, db, login_as):
    login_as(Role.OFFICIAL)
    for path in ("/census", f"/vote/{city.slug}/stations", f"/vote/{city.slug}/paper/{station.id}/sign-in",
                 "/census/verify"):
        assert client.post(path, data={}).status_code == 400


# --- Census upload ---------------------------------------------------------------------------------------------------

def upload(client, data: bytes, filename: str = "liste.csv"):
    return post(client, "/census", {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def test_official_uploads_a_list_and_sees_line_numbered_errors(client, city, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    response = upload(client, b"id;quartier;annee\nA1;Wazemmes;1980\nA2;Nowhere;1990\nA3;Fives;19\n")
    html = text(response)
    assert response.status_code == 422
    assert "Line 3: unknown district “Nowhere”." in html and "Line 4: “19” is not a year of birth" in html
    assert "Nothing has changed" in html
    assert db.session.scalar(select(func.count()).select_from(CensusEntry)) == 0
    response = upload(client, "\ufeffA1;Wazemmes;1980\nA2;fives;1990\n".encode())
    assert response.status_code == 302
    html = text(client.get("/census", headers=EN))
    assert "2 residents, 2 new" in html
    assert db.session.scalar(select(func.count()).select_from(CensusEntry)) == 2
    assert upload(client, b"").status_code == 422  # an empty file
    assert post(client, "/census", {}, content_type="multipart/form-data").status_code == 422  # no file


# --- Residents verifying ---------------------------------------------------------------------------------------------

def test_a_resident_verifies_once_and_is_sent_back(client, city, db):
    make_census_entry("LIL-1", city.district)
    db.session.commit()
    login(client, city.voter)
    response = post(client, "/census/verify?next=/vote/" + city.slug, {"identifier": "nope"})
    assert response.status_code == 422 and "not on the list of residents" in text(response)
    response = post(client, "/census/verify", {"identifier": "lil 1", "next": f"/vote/{city.slug}"})
    assert response.status_code == 302 and response.location.endswith(f"/vote/{city.slug}")
    assert "your residence is verified" in text(client.get("/census/verify", headers=EN)).lower()
    response = post(client, "/census/verify", {"identifier": "LIL-1", "next": "https://evil.example/"})
    assert response.status_code == 200  # already verified: nothing to do, no redirect anywhere


def test_verification_is_rate_limited_per_account_and_per_address(client, city, db):
    login(client, city.voter)
    statuses = [post(client, "/census/verify", {"identifier": f"GUESS-{n}"}).status_code for n in range(6)]
    assert statuses == [422] * 5 + [429]
    for n in range(4):  # other accounts from the same address: 20 attempts in all, then refused
        login(client, make_user(locale="en"))
        db.session.commit()
        for m in range(5 if n < 3 else 1):
            status = post(client, "/census/verify", {"identifier": f"G-{n}-{m}"}).status_code
    assert status == 429


def test_a_cycle_requiring_the_census_sends_unverified_voters_to_verify(client, city, db):
    census.save_eligibility(make_user(Role.OFFICIAL), city.cycle, True, None)
    make_census_entry("LIL-1", city.district)
    db.session.commit()
    login(client, city.voter)
    response = client.get(f"/vote/{city.slug}", headers=EN)
    assert response.status_code == 302 and "/census/verify" in response.location
    response = post(client, f"/vote/{city.slug}/confirm", ballot_data(city, city.city_items[:1],
                                                                        city.district_items[:1]))
    assert response.status_code == 302 and counts(db) == (0, 0, 0)
    post(client, "/census/verify", {"identifier": "LIL-1"})
    assert client.get(f"/vote/{city.slug}", headers=EN).status_code == 200


def test_minimum_age_asks_the_year_once_and_refuses_the_too_young(client, city, db):
    from app.core.clock import local_now

    census.save_eligibility(make_user(Role.OFFICIAL), city.cycle, False, 16)
    db.session.commit()
    login(client, city.voter)
    response = client.get(f"/vote/{city.slug}", headers=EN)
    assert response.status_code == 302 and response.location.endswith(f"/vote/{city.slug}/birth-year")
    assert post(client, f"/vote/{city.slug}/birth-year", {"birth_year": "12"}).status_code == 422
    year = local_now().year - 12
    assert post(client, f"/vote/{city.slug}/birth-year", {"birth_year": str(year)}).status_code == 302
    html = text(client.get(f"/vote/{city.slug}", headers=EN))
    assert "open to people aged 16 or over" in html and 'type="checkbox"' not in html
    # Declared once: the page now sends straight back to the ballot.
    assert client.get(f"/vote/{city.slug}/birth-year").status_code == 302


# --- Paper ballots ---------------------------------------------------------------------------------------------------

def sign_in_at(client, city, station):
    response = post(client, f"/vote/{city.slug}/paper/{station.id}/sign-in", page=f"/vote/{city.slug}/paper")
    assert response.status_code == 302
    return f"/vote/{city.slug}/paper/{station.id}"


def paper_token(html: str) -> str:
    match = re.search(r'name="paper" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def test_the_whole_paper_flow_then_the_person_cannot_vote_online(client, city, station, db, login_as):
    entry = make_census_entry("LIL-77", city.district)
    db.session.commit()
    agent = login_as(Role.AGENT, locale="en")
    console = f"/vote/{city.slug}/paper/{station.id}"
    assert client.get(console).status_code == 302  # not signed in at this station yet
    sign_in_at(client, city, station)
    response = post(client, console, {"identifier": "nobody"}, page=console)
    assert response.status_code == 200 and "Not on the list of residents" in text(response)
    response = post(client, console, {"identifier": "lil-77"}, page=console)
    html = text(response)
    assert "has not voted yet" in html and "LIL-77" not in html and "lil-77" not in html
    token = paper_token(html)
    # The web ballot, for this person's envelopes, posting the token along.
    html = text(post(client, f"/vote/{city.slug}", {"paper": token}))
    assert "Paper ballot" in html and "Projects for Wazemmes" in html and paper_token(html) == token
    too_many = post(client, f"/vote/{city.slug}/review", {"paper": token, **ballot_data(city, city.city_items, [])})
    assert too_many.status_code == 422 and "the maximum is 5" in text(too_many)
    choices = ballot_data(city, city.city_items[:2], city.district_items[:1])
    html = text(post(client, f"/vote/{city.slug}/review", {"paper": token, **choices}))
    assert "Record this paper ballot" in html and paper_token(html) == token
    response = post(client, f"/vote/{city.slug}/confirm", {"paper": token, **choices})
    assert response.status_code == 200
    code = receipt_in(text(response))
    assert "voter's slip" in text(response)
    [participation] = db.session.scalars(select(Participation)).all()
    assert (participation.voter_key, participation.channel, participation.recorded_by_id, participation.station_id) == (
        f"census:{entry.identifier_hash}", VoteChannel.PAPER, agent.id, station.id)
    # Sent again (a double click): refused, nothing more written.
    again = post(client, f"/vote/{city.slug}/confirm", {"paper": token, **choices})
    assert again.status_code == 409 and counts(db) == (1, 2, 3)
    html = text(post(client, console, {"identifier": "LIL-77"}, page=console))
    assert "already voted in this budget, on paper at a polling station" in html
    # The person binds their account at home: the ballot page says they have voted; confirming is refused.
    login(client, city.voter)
    post(client, "/census/verify", {"identifier": "LIL-77"})
    assert "You have voted in this budget" in text(client.get(f"/vote/{city.slug}", headers=EN))
    response = post(client, f"/vote/{city.slug}/confirm", choices)
    assert response.status_code == 409 and counts(db) == (1, 2, 3)
    assert services.normalise_receipt(code) == code
    audit = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == agent.id)).all()
    assert set(audit) == {"paper.signed_in", "paper.checked", "vote.recorded"}


def test_online_first_then_paper_is_refused(client, city, station, db, login_as):
    make_census_entry("LIL-5", city.district, user=city.voter)
    services.cast(city.voter, city.cycle, one_each(city))
    db.session.commit()
    login_as(Role.OFFICIAL, locale="en")
    console = sign_in_at(client, city, station)
    html = text(post(client, console, {"identifier": "LIL-5"}, page=console))
    assert "already voted in this budget, online" in html and 'name="paper"' not in html


def test_a_paper_token_is_useless_to_anyone_else(client, city, station, db, login_as):
    make_census_entry("LIL-8", city.district)
    db.session.commit()
    login_as(Role.AGENT, locale="en")
    console = sign_in_at(client, city, station)
    token = paper_token(text(post(client, console, {"identifier": "LIL-8"}, page=console)))
    choices = ballot_data(city, city.city_items[:1], city.district_items[:1])
    login(client, city.voter)  # a resident who got hold of the token
    response = post(client, f"/vote/{city.slug}/confirm", {"paper": token, **choices})
    assert response.status_code == 403
    login_as(Role.AGENT, locale="en")  # another staff member
    sign_in_at(client, city, station)
    assert post(client, f"/vote/{city.slug}/confirm", {"paper": token, **choices}).status_code == 403
    assert counts(db) == (0, 0, 0)


def test_staff_must_be_signed_in_at_the_tokens_station(client, city, station, db, login_as):
    other = PollingStation(cycle_id=city.cycle.id, name="Gare")
    make_census_entry("LIL-9", city.district)
    db.session.add(other)
    db.session.commit()
    login_as(Role.AGENT, locale="en")
    console = sign_in_at(client, city, station)
    token = paper_token(text(post(client, console, {"identifier": "LIL-9"}, page=console)))
    sign_in_at(client, city, other)
    response = post(client, f"/vote/{city.slug}/confirm",
                    {"paper": token, **ballot_data(city, city.city_items[:1], city.district_items[:1])})
    assert response.status_code == 302 and counts(db) == (0, 0, 0)


def test_a_closed_station_cannot_be_signed_in(client, city, station, db, login_as):
    station.open = False
    db.session.commit()
    login_as(Role.AGENT, locale="en")
    response = post(client, f"/vote/{city.slug}/paper/{station.id}/sign-in", page=f"/vote/{city.slug}/paper")
    assert response.status_code == 403 and "closed" in text(response)


def test_census_checks_at_a_station_are_rate_limited(client, city, station, db, login_as, app):
    app.config["PAPER_RATE_LIMIT"] = "3 per minute"
    try:
        login_as(Role.AGENT, locale="en")
        console = sign_in_at(client, city, station)
        token = csrf_token(client, console)
        statuses = [client.post(console, data={"csrf_token": token, "identifier": f"X{n}"}).status_code
                    for n in range(4)]
        assert statuses == [200, 200, 200, 429]
    finally:
        app.config["PAPER_RATE_LIMIT"] = "30 per minute;1000 per hour"


def test_officials_add_and_close_stations_and_see_entries(client, city, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    path = f"/vote/{city.slug}/stations"
    assert post(client, path, {"name": ""}, page=path).status_code == 422
    assert post(client, path, {"name": "Salle Courmont", "address": "Rue Courmont"}, page=path).status_code == 302
    assert post(client, path, {"name": "Salle Courmont"}, page=path).status_code == 422
    station = db.session.scalar(select(PollingStation))
    assert post(client, f"{path}/{station.id}/close", page=path).status_code == 302
    html = text(client.get(path, headers=EN))
    assert "Salle Courmont" in html and "closed" in html and "No paper ballot has been entered yet" in html
    other = make_voting_city()
    db.session.commit()
    assert post(client, f"/vote/{other.slug}/stations/{station.id}/open", page=path).status_code == 404


def test_eligibility_page_freezes_with_the_first_ballot(client, city, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    path = f"/vote/{city.slug}/eligibility"
    assert post(client, path, {"minimum_age": "200"}, page=path).status_code == 422
    assert post(client, path, {"census_required": "y", "minimum_age": "16"}, page=path).status_code == 302
    assert census.eligibility_of(city.cycle) == (True, 16)
    assert post(client, path, {"minimum_age": ""}, page=path).status_code == 302
    assert census.eligibility_of(city.cycle) == (False, None)
    services.cast(city.voter, city.cycle, one_each(city))
    db.session.commit()
    response = post(client, path, {"census_required": "y"}, page=f"/budgets/{city.slug}")
    assert response.status_code == 422 and "can no longer change" in text(response)
