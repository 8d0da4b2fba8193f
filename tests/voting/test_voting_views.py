"""The voting pages through the test client: the whole flow without JavaScript, refusals, roles."""

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.core import clock
from app.cycles.models import PhaseKind
from app.voting import services
from app.voting.models import Ballot, BallotRules, Participation
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.voting.conftest import counts, ids, later, make_voting_city

EN = {"Accept-Language": "en"}


@pytest.fixture
def city(web_city):
    return web_city


@pytest.fixture
def voter(client, city):
    login(client, city.voter)
    return city.voter


def post(client, path: str, data: dict | None = None, **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=EN, **kwargs)


def ballot_data(city, city_items, district_items, **extra) -> dict:
    return {"citywide": ids(city_items), f"district_{city.district.id}": ids(district_items), **extra}


def receipt_in(html: str) -> str:
    match = re.search(r'class="receipt-code"><code>([0-9A-Z-]{19})</code>', html)
    assert match, html[:3000]
    return match.group(1)


def checked(html: str) -> set[str]:
    return set(re.findall(r'value="(\d+)" data-cost="\d+"\s+aria-describedby="[^"]+" checked', html))


def test_the_ballot_lists_each_envelope_with_checkboxes_and_the_counter(client, city, voter):
    response = client.get(f"/vote/{city.slug}", headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Projects for the whole city" in html and "Projects for Wazemmes" in html
    for item in city.city_items + city.district_items:
        assert f'value="{item.id}"' in html and item.title in html
    assert "Projet Fives" not in html  # another district's envelope
    assert "Choose up to 5 of these projects." in html
    assert f"/proposals/{city.city_items[0].proposal_id}" in html and "Theme:" in html
    assert 'data-counter hidden' in html and "js/voting.js" in html and "<script>" not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_the_cached_ballot_follows_what_can_still_change(client, city, voter, db):
    """An untouched ballot's envelopes come from a cache (the projects are frozen): a theme or district renamed,
    another language, a ballot sent back with errors are never served from an older copy."""
    from app.proposals.models import Proposal

    page = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    category = db.session.get(Proposal, city.city_items[0].proposal_id).category
    assert f"Theme: {category.name_en}" in page and "Projects for Wazemmes" in page
    category.name_en, city.district.name = "Cycling and walking", "Wazemmes-Centre"
    db.session.commit()
    page = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert "Theme: Cycling and walking" in page and "Projects for Wazemmes-Centre" in page
    voter.locale = "fr"
    db.session.commit()
    page = client.get(f"/vote/{city.slug}").get_data(as_text=True)
    assert "Projets pour toute la ville" in page and "Projects for the whole city" not in page
    response = post(client, f"/vote/{city.slug}/review", ballot_data(city, city.city_items, []))
    assert response.status_code == 422 and response.get_data(as_text=True).count(" checked") == 6


def tokens_in(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html))


def test_the_cached_ballot_page_is_each_voters_own(app, client, city, voter, db):
    """A resident's untouched ballot comes whole from a cache: it still carries each voter's own CSRF token, their
    own count of unread notifications, a message flashed for them, and the cycle's current title; so does the
    receipt, each with the voter's own code."""
    from app.core.models import Notification

    first = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert len(tokens_in(first)) == 1 and "unread" not in first
    neighbour = make_user(district=city.district, locale="en")
    db.session.flush()
    db.session.add_all([Notification(user_id=neighbour.id, kind="test", message=f"News {n}") for n in range(2)])
    db.session.commit()
    other = app.test_client()
    login(other, neighbour)
    page = other.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert len(tokens_in(page)) == 1 and tokens_in(page) != tokens_in(first)
    assert '(2<span class="visually-hidden"> unread</span>)' in page
    assert page.replace(tokens_in(page).pop(), "") != first.replace(tokens_in(first).pop(), "")
    again = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert tokens_in(again) == tokens_in(first) and "unread" not in again
    # The page sent from the cache works: the token it carries is accepted.
    token = tokens_in(again).pop()
    chosen = ballot_data(city, city.city_items[:2], city.district_items[:1])
    response = client.post(f"/vote/{city.slug}/review", headers=EN, data={"csrf_token": token, **chosen})
    assert response.status_code == 200 and "Check your ballot" in response.get_data(as_text=True)
    city.cycle.title_en = "Budget 2027, renamed"
    db.session.commit()
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your district has been saved to your profile.")]
    page = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert "Budget 2027, renamed" in page and "Your district has been saved to your profile." in page
    # The receipt page comes from the cache too, each with the voter's own code.
    codes = set()
    for each in (client, other):
        token = tokens_in(each.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)).pop()
        html = each.post(f"/vote/{city.slug}/confirm", headers=EN,
                         data={"csrf_token": token, **chosen}).get_data(as_text=True)
        codes.add(receipt_in(html))
        assert "\x00" not in html
    recorded = set(db.session.scalars(select(Ballot.receipt_hash).where(Ballot.cycle_id == city.cycle.id)))
    assert len(codes) == 2 and {services.receipt_hash(city.cycle.id, None, code) for code in codes} <= recorded


def test_casting_without_javascript_review_change_confirm_receipt(client, city, voter, db):
    slug = city.slug
    # Too many projects: the page comes back with the rule broken, and nothing is written.
    response = post(client, f"/vote/{slug}/review", ballot_data(city, city.city_items, city.district_items[:1]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You chose 6 projects; the maximum is 5." in html and 'class="error-summary"' in html
    assert checked(html) == set(ids(city.city_items + city.district_items[:1]))
    assert counts(db) == (0, 0, 0)

    # A valid ballot: the review shows it whole, with the choices in hidden fields.
    response = post(client, f"/vote/{slug}/review", ballot_data(city, city.city_items[:2], city.district_items[:1]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Check your ballot" in html
    for item in city.city_items[:2] + city.district_items[:1]:
        assert f'type="hidden" name="{"citywide" if item.district_id is None else f"district_{item.district_id}"}"' \
               f' value="{item.id}"' in html
    assert "Confirm my vote" in html and "Change my choices" in html
    assert counts(db) == (0, 0, 0)

    # "Change my choices" goes back to the ballot with the same boxes ticked.
    response = post(client, f"/vote/{slug}", ballot_data(city, city.city_items[:2], city.district_items[:1]))
    assert response.status_code == 200
    assert checked(response.get_data(as_text=True)) == set(ids(city.city_items[:2] + city.district_items[:1]))

    # Confirm: checked again by the server, cast, receipt shown once.
    response = post(client, f"/vote/{slug}/confirm", ballot_data(city, city.city_items[:2], city.district_items[:1]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    code = receipt_in(html)
    assert "cannot link it to you" in html
    assert counts(db) == (1, 2, 3)

    # Back on the ballot page: already voted. A second confirmation is refused and writes nothing.
    html = client.get(f"/vote/{slug}", headers=EN).get_data(as_text=True)
    assert "You have voted in this budget" in html and code not in html
    response = post(client, f"/vote/{slug}/confirm", ballot_data(city, city.city_items[3:4], city.district_items[1:2]))
    assert response.status_code == 409 and "You have voted in this budget" in response.get_data(as_text=True)
    assert counts(db) == (1, 2, 3)


def test_confirm_checks_the_rules_again(client, city, voter, db):
    """Hidden fields can be edited: the confirmation step refuses a ballot breaking the rules."""
    response = post(client, f"/vote/{city.slug}/confirm", ballot_data(city, city.city_items, []))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You chose 6 projects; the maximum is 5." in html
    assert "You chose 0 projects; the minimum is 1." in html
    assert counts(db) == (0, 0, 0)


def test_changing_a_vote_with_the_receipt_code(client, city, voter, db):
    code = services.cast(city.voter, city.cycle, {None: ids(city.city_items[:2]),
                                                   city.district.id: ids(city.district_items[:1])})
    db.session.commit()
    assert client.get(f"/vote/{city.slug}/change", headers=EN).status_code == 200
    response = post(client, f"/vote/{city.slug}/change", {"code": "ABCD-EFGH-JKMN-PQRS"})
    assert response.status_code == 422 and "No ballot of this budget matches" in response.get_data(as_text=True)

    response = post(client, f"/vote/{city.slug}/change", {"code": code.lower().replace("-", " ")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Change my vote" in html
    assert f'name="receipt" value="{code}"' in html
    assert checked(html) == set(ids(city.city_items[:2] + city.district_items[:1]))

    new = ballot_data(city, city.city_items[4:6], city.district_items[2:], receipt=code)
    response = post(client, f"/vote/{city.slug}/review", new)
    assert response.status_code == 200 and "Confirm my new choices" in response.get_data(as_text=True)
    response = post(client, f"/vote/{city.slug}/confirm", new)
    assert response.status_code == 302
    assert "Your vote has been changed" in client.get(response.location, headers=EN).get_data(as_text=True)
    db.session.expire_all()
    assert counts(db) == (1, 2, 3)
    chosen = {c.ballot_item_id for b in db.session.scalars(select(Ballot)) for c in b.choices}
    assert chosen == {i.id for i in city.city_items[4:6] + city.district_items[2:]}

    # A tampered receipt in the hidden field is refused like a mistyped one.
    response = post(client, f"/vote/{city.slug}/confirm", {**new, "receipt": "0000-0000-0000-0000"})
    assert response.status_code == 422
    assert {c.ballot_item_id for b in db.session.scalars(select(Ballot)) for c in b.choices} == chosen


def test_nothing_is_accepted_after_voting_closes(client, city, voter, db, monkeypatch):
    code = services.cast(city.voter, city.cycle, {None: ids(city.city_items[:1]),
                                                   city.district.id: ids(city.district_items[:1])})
    db.session.commit()
    other = make_user(district=city.district, locale="en")
    db.session.commit()
    monkeypatch.setattr(clock, "_now", later(16))
    response = post(client, f"/vote/{city.slug}/confirm", {"receipt": code, **ballot_data(
        city, city.city_items[2:3], city.district_items[1:2])})
    assert response.status_code == 403 and "Voting is not open" in response.get_data(as_text=True)
    login(client, other)
    assert "Voting is not open" in client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    response = post(client, f"/vote/{city.slug}/confirm", ballot_data(city, city.city_items[:1],
                                                                     city.district_items[:1]))
    assert response.status_code == 403
    assert counts(db) == (1, 2, 2)


def test_receipt_check_page(client, city, db, monkeypatch):
    code = services.cast(city.voter, city.cycle, {None: ids(city.city_items[:2]),
                                                   city.district.id: ids(city.district_items[:1])})
    db.session.commit()
    html = client.get(f"/vote/{city.slug}/receipt", headers=EN).get_data(as_text=True)
    assert "Receipts can be checked once the results are published, from" in html and 'name="code"' not in html
    monkeypatch.setattr(clock, "_now", later(16))
    assert 'name="code"' in client.get(f"/vote/{city.slug}/receipt", headers=EN).get_data(as_text=True)
    response = post(client, f"/vote/{city.slug}/receipt", {"code": code})  # anonymous visitors may check
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert all(item.title in html for item in city.city_items[:2] + city.district_items[:1])
    assert city.city_items[2].title not in html
    response = post(client, f"/vote/{city.slug}/receipt", {"code": "not a code"})
    assert response.status_code == 422 and "16 letters and digits" in response.get_data(as_text=True)


def test_a_voter_without_district_chooses_one_first(client, city, db):
    user = make_user(locale="en")
    db.session.commit()
    login(client, user)
    response = client.get(f"/vote/{city.slug}", headers=EN)
    assert response.status_code == 302 and response.location.endswith(f"/vote/{city.slug}/district")
    response = post(client, f"/vote/{city.slug}/district", {"district": "0"})
    assert response.status_code == 422 and db.session.get(User, user.id).district_id is None
    response = post(client, f"/vote/{city.slug}/district", {"district": str(city.other_district.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).district_id == city.other_district.id
    html = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert "Projects for Fives" in html and "Projet Fives" in html


def test_unconfirmed_accounts_are_told_to_confirm(client, city, db):
    login(client, make_user(confirmed=False, district=city.district, locale="en"))
    db.session.commit()
    html = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert "Please confirm your email address before voting" in html and 'type="checkbox"' not in html


def test_the_cycle_page_links_to_the_vote_only_during_voting(client, city, db):
    assert f'href="/vote/{city.slug}"' in client.get(f"/budgets/{city.slug}").get_data(as_text=True)
    other = make_voting_city(phase=PhaseKind.SUBMISSION, frozen=False)
    db.session.commit()
    assert f'href="/vote/{other.slug}"' not in client.get(f"/budgets/{other.slug}").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client, city):
    response = client.get(f"/vote/{city.slug}")
    assert response.status_code == 302 and "/account/login" in response.location
    assert client.get("/vote/no-such-budget/receipt").status_code == 404


# --- Ballot rules page -----------------------------------------------------------------------------------------------

def test_official_edits_the_rules_until_the_first_ballot(client, city, db, login_as, monkeypatch):
    now = clock._now
    monkeypatch.setattr(clock, "_now", later(-16))  # the review phase: voting has not opened yet
    login_as(Role.OFFICIAL, locale="en")
    path = f"/vote/{city.slug}/rules"
    html = client.get(path, headers=EN).get_data(as_text=True)
    assert "Ballot rules" in html and 'name="max_choices"' in html
    response = post(client, path, {"kind": "approval", "min_choices": "3", "max_choices": "2"})
    assert response.status_code == 422 and "cannot be smaller than the minimum" in response.get_data(as_text=True)
    response = post(client, path, {"kind": "approval", "min_choices": "x", "max_choices": "2"})
    assert response.status_code == 422
    response = post(client, path, {"kind": "knapsack", "min_choices": "1", "max_choices": "",
                                   "min_share_percent": "30"})
    assert response.status_code == 302
    rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == city.cycle.id))
    db.session.refresh(rules)
    assert (rules.kind.value, rules.max_choices, rules.min_share_percent) == ("knapsack", None, 30)

    monkeypatch.setattr(clock, "_now", now)
    services.cast(city.voter, city.cycle, {None: ids(city.city_items[:3]),  # at least 30 % of each envelope
                                           city.district.id: ids(city.district_items[:1])})
    db.session.commit()
    html = client.get(path, headers=EN).get_data(as_text=True)
    assert "can no longer change" in html and 'name="max_choices"' not in html
    response = post(client, path, {"kind": "approval", "min_choices": "1", "max_choices": "2"})
    assert response.status_code == 422 and "can no longer change" in response.get_data(as_text=True)
    db.session.refresh(rules)
    assert rules.kind.value == "knapsack"


# --- Role by role ----------------------------------------------------------------------------------------------------

ALL = set(Role)
OFFICIAL = {Role.OFFICIAL}
ROUTES = {
    "ballot": ("GET", "/vote/{slug}", ALL, None),
    "district": ("GET", "/vote/{slug}/district", ALL, None),
    "change": ("GET", "/vote/{slug}/change", ALL, None),
    "receipt check": ("GET", "/vote/{slug}/receipt", ALL | {None}, None),
    "rules page": ("GET", "/vote/{slug}/rules", OFFICIAL, None),
    "save rules": ("POST", "/vote/{slug}/rules", OFFICIAL, {"kind": "approval", "min_choices": "0",
                                                          "max_choices": "3"}),
}


@pytest.mark.parametrize("name", list(ROUTES))
@pytest.mark.parametrize("role", [*Role, None], ids=[*(r.value for r in Role), "anonymous"])
def test_voting_routes_role_by_role(client, db, city, login_as, monkeypatch, role, name):
    method, path, allowed, data = ROUTES[name]
    if path.endswith("/rules"):
        monkeypatch.setattr(clock, "_now", later(-16))  # rules change until voting opens
    if role is not None:
        login_as(role, district=city.district)
    path = path.format(slug=city.slug)
    response = client.get(path) if method == "GET" else post(client, path, data)
    if role in allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:1000]
        if response.status_code == 302:
            assert "/account/login" not in response.location
    elif role is None:
        assert response.status_code == 302 and "/account/login" in response.location
    else:
        assert response.status_code == 403
    rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == city.cycle.id))
    db.session.refresh(rules)
    assert rules.max_choices == (3 if role == Role.OFFICIAL and method == "POST" else 5)


def test_staff_pages_never_show_who_voted_what(client, city, db, login_as):
    """Officials see the rules page; no page they reach lists ballots next to voters."""
    services.cast(city.voter, city.cycle, {None: ids(city.city_items[:1]),
                                           city.district.id: ids(city.district_items[:1])})
    db.session.commit()
    login_as(Role.OFFICIAL)
    participation = db.session.scalar(select(Participation))
    for path in (f"/vote/{city.slug}/rules", f"/vote/{city.slug}", f"/budgets/{city.slug}"):
        html = client.get(path).get_data(as_text=True)
        for ballot in db.session.scalars(select(Ballot)):
            assert ballot.id not in html and ballot.receipt_hash not in html
        assert participation.voter_key not in html


def test_the_ballot_page_freezes_the_ballot_when_nobody_has(client, db):
    city = make_voting_city(frozen=False)
    db.session.commit()
    login(client, city.voter)
    html = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert html.count('type="checkbox"') == 6 + 3
    db.session.expire_all()
    assert city.cycle.ballot_frozen_at is not None


def test_a_ballot_that_cannot_be_frozen_is_not_offered(client, db):
    from app.proposals.models import ProposalStatus
    from tests.factories import make_proposal

    city = make_voting_city(frozen=False)
    make_proposal(city.cycle, status=ProposalStatus.FEASIBLE, city_cost_cents=None)  # the city forgot a cost
    city.voter.locale = "en"
    db.session.commit()
    login(client, city.voter)
    html = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert "not ready yet" in html and 'type="checkbox"' not in html
    db.session.expire_all()
    assert city.cycle.ballot_frozen_at is None


def test_entering_receipt_codes_is_rate_limited(client, city, voter, db):
    services.cast(city.voter, city.cycle, {None: ids(city.city_items[:1]),
                                           city.district.id: ids(city.district_items[:1])})
    db.session.commit()
    statuses = [post(client, f"/vote/{city.slug}/change", {"code": services.new_receipt_code()}).status_code
                for _ in range(21)]
    assert statuses[:20] == [422] * 20 and statuses[20] == 429
    assert client.get(f"/vote/{city.slug}", headers=EN).status_code == 200  # reading is not limited
    # Any page carrying a receipt code shares the limit; a ballot without one (another voter at the same public
    # computer) does not.
    ballot = ballot_data(city, city.city_items[:1], city.district_items[:1])
    assert post(client, f"/vote/{city.slug}/confirm", {**ballot, "receipt": "7KQM-3XWD-9HPA-RT2E"}).status_code == 429
    assert post(client, f"/vote/{city.slug}/review", ballot).status_code != 429
