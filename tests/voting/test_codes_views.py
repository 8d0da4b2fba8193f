"""The voting-code pages through the test client: roles, generating and printing once, typing a code and voting
without an account, bad input, the rate limit, codes kept out of logs, addresses and the audit log; the desk."""

import logging
import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.models import AuditEntry
from app.voting import codes, desk
from app.voting.models import CodeBatch, Participation, VoteChannel, VotingCode
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.voting.conftest import counts, ids, make_census_entry, make_voting_city

EN = {"Accept-Language": "en"}
SHEET_CODE = re.compile(r'<p class="code-card-code"><code>([0-9A-Z-]{14})</code></p>')
TOKEN = re.compile(r'name="voting_code" (?:type="hidden" )?value="([^"]+)"')

pytestmark = pytest.mark.usefixtures("clear_desk_cache")


@pytest.fixture
def city(db):
    city = make_voting_city()
    db.session.commit()
    return city


@pytest.fixture
def official(client, city, db):
    user = make_user(Role.OFFICIAL, locale="en")
    db.session.commit()
    login(client, user)
    return user


def post(client, path: str, data: dict | None = None, **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=EN, **kwargs)


def form_key(client, slug: str) -> str:
    html = client.get(f"/vote/{slug}/codes", headers=EN).get_data(as_text=True)
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', html).group(1)


def generate(client, city, count: int = 3, **extra):
    data = {"form_key": form_key(client, city.slug), "district": city.district.id, "label": f"Lettres {count}",
            "count": count, **extra}
    return post(client, f"/vote/{city.slug}/codes", data), data


def sheet_codes(html: str) -> list[str]:
    return SHEET_CODE.findall(html)


def enter(client, code: str):
    return post(client, "/code", {"code": code})


def token_in(html: str) -> str:
    match = TOKEN.search(html)
    assert match, html[:3000]
    return match.group(1)


def vote_with(client, city, code: str):
    """Type a code, choose, review, confirm: the receipt page."""
    response = enter(client, code)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    token = token_in(response.get_data(as_text=True))
    choice = {"voting_code": token, "citywide": ids(city.city_items[:2]),
              f"district_{city.district.id}": ids(city.district_items[:1])}
    review = post(client, "/code/review", choice)
    assert review.status_code == 200 and "Check your ballot" in review.get_data(as_text=True)
    return post(client, "/code/confirm", choice)


def generated_codes(app, db, city, count: int = 3, **options) -> list[str]:
    official = make_user(Role.OFFICIAL)
    with app.test_request_context(headers=EN):
        _batch, result = codes.generate_batch(official, city.cycle, city.district, f"Batch {count}", count,
                                              **options)
    db.session.commit()
    return result


# --- Who sees what ---------------------------------------------------------------------------------------------------

def test_every_role_against_every_new_route(client, city, db, any_role):
    user = make_user(any_role)
    db.session.commit()
    batch_id = db.session.scalar(select(func.max(CodeBatch.id))) or 1
    official_only = [("GET", f"/vote/{city.slug}/codes"), ("POST", f"/vote/{city.slug}/codes"),
                     ("POST", f"/vote/{city.slug}/codes/{batch_id}/void"), ("GET", f"/vote/{city.slug}/desk"),
                     ("GET", f"/vote/{city.slug}/desk/figures")]
    for method, path in official_only:  # anonymous visitors are sent to the login page
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/")})
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], path
    assert client.get("/code").status_code == 200
    login(client, user)
    for method, path in official_only:
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/")})
        expected = {200, 302, 303, 404, 422} if any_role == Role.OFFICIAL else {403}
        assert response.status_code in expected, (any_role, path, response.status_code)
    assert client.get("/code").status_code == 200  # anyone may type a code, signed in or not
    for path in ("/code/details", "/code/ballot", "/code/review", "/code/confirm"):
        assert client.get(path).status_code == 405  # POST only
        assert post(client, path, {"voting_code": "forged"}).status_code == 422
    assert counts(db) == (0, 0, 0)


def test_the_official_pages_link_to_each_other(client, city, official):
    html = client.get(f"/vote/{city.slug}/codes", headers=EN).get_data(as_text=True)
    assert f"/vote/{city.slug}/desk" in html and html.count("<h1") == 1
    html = client.get(f"/vote/{city.slug}/desk", headers=EN).get_data(as_text=True)
    assert f"/vote/{city.slug}/codes" in html and html.count("<h1") == 1


# --- Generating and printing -----------------------------------------------------------------------------------------

def test_the_sheet_shows_the_codes_once_and_a_reload_generates_nothing(client, city, official, db):
    response, data = generate(client, city, 12)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"
    printed = sheet_codes(html)
    assert len(printed) == 12 and len(set(printed)) == 12
    assert city.cycle.title_en in html and "District: Wazemmes" in html and "http://localhost/code" in html
    assert "Vote from" in html and "@media print" not in html and "css/codes.css" in html
    assert set(db.session.scalars(select(VotingCode.code_hash))) == {codes.code_hash(c) for c in printed}
    # The browser sends the same form again (reload, back, double click): no second batch, no codes shown.
    again = post(client, f"/vote/{city.slug}/codes", data)
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/vote/{city.slug}/codes")
    page = client.get(f"/vote/{city.slug}/codes", headers=EN).get_data(as_text=True)
    assert "already been generated and its codes were shown once" in page
    assert not any(code in page for code in printed)
    assert db.session.scalar(select(func.count()).select_from(CodeBatch)) == 1


def test_no_generated_address_carries_a_code(client, city, official):
    response, _data = generate(client, city, 20)
    html = response.get_data(as_text=True)
    printed = sheet_codes(html)
    addresses = re.findall(r'(?:href|src|action|formaction)="([^"]*)"', html)
    assert addresses
    for address in addresses + [response.headers.get("Location", "")]:
        assert not any(code in address or code.replace("-", "") in address for code in printed), address


@pytest.mark.parametrize(("values", "message"), [
    ({"count": 0}, "between 1 and 5000"), ({"count": 5001}, "between 1 and 5000"), ({"count": "many"}, "number"),
    ({"count": ""}, "Please enter a number of codes."), ({"label": ""}, "Please give the batch a name."),
    ({"district": 0}, "Please choose"), ({"district": 999999}, "Please choose"), ({"form_key": ""}, "expired"),
])
def test_bad_batch_input_is_refused_with_a_clear_message_and_writes_nothing(client, city, official, db, values,
                                                                              message):
    data = {"form_key": form_key(client, city.slug), "district": city.district.id, "label": "Lettres", "count": 5,
            **values}
    response = post(client, f"/vote/{city.slug}/codes", data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CodeBatch)) == 0


def test_voiding_a_batch_from_its_page(client, city, official, db, app):
    response, _data = generate(client, city, 2)
    first, second = sheet_codes(response.get_data(as_text=True))
    client.post("/logout")
    vote_with(client, city, first)
    login(client, official)
    batch = db.session.scalar(select(CodeBatch))
    response = post(client, f"/vote/{city.slug}/codes/{batch.id}/void", follow_redirects=True)
    assert "its 1 unused codes no longer work" in response.get_data(as_text=True)
    response = enter(client, second)
    assert response.status_code == 422 and "cancelled by the city" in response.get_data(as_text=True)
    assert post(client, f"/vote/{city.slug}/codes/{batch.id}/void", follow_redirects=True).status_code == 200
    other = make_voting_city()
    db.session.commit()
    assert post(client, f"/vote/{other.slug}/codes/{batch.id}/void").status_code == 404  # another cycle's batch


# --- Voting with a code ----------------------------------------------------------------------------------------------

def test_a_resident_without_an_account_votes_with_a_code(client, city, db, app):
    [code] = generated_codes(app, db, city, 1)
    page = client.get("/code", headers=EN)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    response = enter(client, code.lower().replace("-", " "))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Projects for Wazemmes" in html and "Projet Fives" not in html
    assert 'action="/code/review"' in html and code not in html
    response = vote_with(client, city, code)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert re.search(r'class="receipt-code"><code>[0-9A-Z-]{19}</code>', html)
    assert "lets you change your vote" not in html  # code voters cannot change their ballot
    [participation] = db.session.scalars(select(Participation)).all()
    assert participation.channel == VoteChannel.CODE and participation.voter_key.startswith("code:")
    assert counts(db) == (1, 2, 3)
    # The same code again, or the same token again: refused, nothing written.
    assert "already been used" in enter(client, code).get_data(as_text=True)
    assert counts(db) == (1, 2, 3)


def test_the_review_can_go_back_to_the_ballot_with_the_choices(client, city, db, app):
    [code] = generated_codes(app, db, city, 1)
    token = token_in(enter(client, code).get_data(as_text=True))
    choice = {"voting_code": token, "citywide": ids(city.city_items[:1]), f"district_{city.district.id}": []}
    html = post(client, "/code/ballot", choice).get_data(as_text=True)
    assert f'value="{city.city_items[0].id}"' in html and "checked" in html
    too_many = {"voting_code": token, "citywide": ids(city.city_items)}
    response = post(client, "/code/review", too_many)
    assert response.status_code == 422 and "the maximum is 5" in response.get_data(as_text=True)
    response = post(client, "/code/confirm", too_many)
    assert response.status_code == 422 and "the maximum is 5" in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0) and db.session.scalar(select(VotingCode.used_on)) is None


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Please type your voting code."), ("ABC", "12 letters and digits"),
    ("0000-0000-0000", "not valid"), ("x" * 41, "12 letters and digits"),
])
def test_bad_codes_get_a_clear_error_and_write_nothing(client, city, db, typed, message):
    response = enter(client, typed)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)


def test_a_code_in_the_address_is_ignored(client, city, db, app):
    [code] = generated_codes(app, db, city, 1)
    response = client.get(f"/code?code={code}", headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'value="{code}"' not in html and "Projects for" not in html
    assert db.session.scalar(select(VotingCode.used_on)) is None


def test_failed_attempts_are_limited_per_address_and_successes_are_not(client, city, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "CODE_RATE_LIMIT", "3 per hour")
    generated = generated_codes(app, db, city, 6)
    for code in generated[:5]:  # a class voting one pupil after the other from the school's address
        assert enter(client, code).status_code == 200
    for _attempt in range(3):
        assert enter(client, "0000-0000-0000").status_code == 422
    response = enter(client, generated[5])
    assert response.status_code == 429 and "Too many attempts" in response.get_data(as_text=True)
    other = app.test_client()  # another address is not blocked
    other_csrf = csrf_token(other, "/")
    assert other.post("/code", data={"csrf_token": other_csrf, "code": generated[5]},
                      environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_a_census_bound_code_asks_for_the_identifier_then_votes_as_the_resident(client, city, db, app):
    make_census_entry("LIL-7000", city.district)
    db.session.commit()
    [code] = generated_codes(app, db, city, 1, census_bound=True)
    response = enter(client, code)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "resident identifier" in html and 'name="identifier"' in html
    token = token_in(html)
    wrong = post(client, "/code/details", {"voting_code": token, "identifier": "LIL-0000"})
    assert wrong.status_code == 422 and "not on the list of residents" in wrong.get_data(as_text=True)
    # Skipping the step with the first token does not open the ballot.
    assert post(client, "/code/review", {"voting_code": token}).status_code == 422
    right = post(client, "/code/details", {"voting_code": token, "identifier": "lil-7000"})
    assert right.status_code == 200 and "Projects for Wazemmes" in right.get_data(as_text=True)
    choice = {"voting_code": token_in(right.get_data(as_text=True)), "citywide": ids(city.city_items[:1]),
              f"district_{city.district.id}": ids(city.district_items[:1])}
    assert post(client, "/code/confirm", choice).status_code == 200
    [participation] = db.session.scalars(select(Participation)).all()
    assert participation.voter_key.startswith("census:") and participation.channel == VoteChannel.CODE


# --- Codes stay secret -----------------------------------------------------------------------------------------------

def test_codes_never_reach_a_log_or_the_audit_log(client, city, official, db, caplog):
    caplog.set_level(logging.DEBUG)
    response, _data = generate(client, city, 5)
    printed = sheet_codes(response.get_data(as_text=True))
    client.post("/logout")
    for code in printed[:2]:
        vote_with(client, city, code)
    enter(client, printed[0])  # a used code: the refusal does not repeat it either
    needles = printed + [code.replace("-", "") for code in printed] + [code.lower() for code in printed]
    for record in caplog.records:
        text = record.getMessage() + " " + repr(record.args)
        assert not any(needle in text for needle in needles), text
    details = " ".join(db.session.scalars(select(AuditEntry.details)))
    assert "codes.generated" in set(db.session.scalars(select(AuditEntry.action)))
    assert not any(needle in details for needle in needles)


# --- The desk --------------------------------------------------------------------------------------------------------

def test_the_desk_counts_turnout_per_channel_envelope_and_home_district_never_choices(client, city, db, app):
    from app.voting import services

    services.cast(city.voter, city.cycle,
                  {None: ids(city.city_items[:1]), city.district.id: ids(city.district_items[:1])})
    db.session.commit()
    generated = generated_codes(app, db, city, 4)
    vote_with(client, city, generated[0])
    user = make_user(Role.OFFICIAL, locale="en")
    db.session.commit()
    login(client, user)
    html = client.get(f"/vote/{city.slug}/desk", headers=EN).get_data(as_text=True)
    assert "2 people have voted." in html
    figures = re.sub(r"\s+", " ", html)
    assert "<td>online</td><td class=\"number\">1</td>" in figures
    assert "<td>with a voting code</td><td class=\"number\">1</td>" in figures
    assert "<td>on paper at a polling station</td><td class=\"number\">0</td>" in figures
    assert "<td>Whole city</td><td class=\"number\">2</td>" in figures  # ballots per envelope
    assert "<td>Wazemmes</td><td class=\"number\">2</td>" in figures  # home district of both voters
    assert "Codes used: 1 of 4." in figures
    assert not any(item.title in html for item in city.city_items + city.district_items)
    # Cached for a short time: a new vote shows once the cache has expired (here: cleared).
    vote_with(client, city, generated[1])
    login(client, user)
    assert "2 people have voted." in client.get(f"/vote/{city.slug}/desk/figures", headers=EN).get_data(as_text=True)
    with app.test_request_context():
        desk.forget_figures(city.cycle)
    fragment = client.get(f"/vote/{city.slug}/desk/figures", headers=EN).get_data(as_text=True)
    assert "3 people have voted." in fragment and "<h1" not in fragment
