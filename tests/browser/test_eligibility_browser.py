"""The census and paper ballots in a real browser: a resident verifies their residence, polling-station staff
check a person and enter their ballot; axe-core on every page added (census, eligibility, stations, console)."""

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.accounts.models import User
from app.cycles.models import Cycle
from app.extensions import db
from app.voting import census
from app.voting.demo import DEMO_CYCLE
from app.voting.models import BallotRules, Participation, PollingStation, VoteChannel
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.browser.test_voting_browser import OFFICIAL, RESIDENT, boxes, counts, demo_vote, sign_in, tick  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def census_city(app, demo_vote):  # noqa: F811 (the fixture imported above)
    """The demo vote, made to require the census; the demo census and polling station come with the demo."""
    with app.app_context():
        rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == demo_vote["cycle_id"]))
        rules.census_required = True
        station = db.session.scalar(select(PollingStation).where(PollingStation.cycle_id == demo_vote["cycle_id"]))
        db.session.commit()
        return {**demo_vote, "station": station.id}


def test_a_resident_verifies_their_residence_before_voting(browser, live, app, census_city):
    slug = census_city["slug"]
    sign_in(browser, live, *RESIDENT)
    browser.get(f"{live}/vote/{slug}")
    assert "/census/verify" in browser.current_url
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    assert_accessible(browser)
    screenshot(browser, "census-verify-fr")
    screenshot(browser, "census-verify-fr-narrow", width=380)
    fill(browser, {"identifier": "lil demo 9999"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert "ne figure pas sur la liste" in browser.find_element(By.TAG_NAME, "main").text
    assert_accessible(browser)
    screenshot(browser, "census-verify-error-fr-narrow", width=380)
    fill(browser, {"identifier": "lil-demo-0001"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.current_url.endswith(f"/vote/{slug}")
    assert boxes(browser, "citywide")  # the ballot, at last
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == RESIDENT[0]))
        assert census.entry_of_account(user).birth_year == 1984


def test_staff_check_a_person_and_enter_their_paper_ballot(browser, live, app, census_city):
    slug, station = census_city["slug"], census_city["station"]
    sign_in(browser, live, *OFFICIAL)
    for path in ("/census", f"/vote/{slug}/eligibility", f"/vote/{slug}/stations"):
        browser.get(live + path)
        assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
        assert_accessible(browser)
        screenshot(browser, "staff" + path.replace("/", "-"))
        screenshot(browser, "staff" + path.replace("/", "-") + "-narrow", width=380)
    browser.get(f"{live}/vote/{slug}/paper")
    assert_accessible(browser)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button"))
    assert browser.current_url.endswith(f"/vote/{slug}/paper/{station}")
    assert_accessible(browser)
    screenshot(browser, "paper-console-fr")
    fill(browser, {"identifier": "LIL-DEMO-0002"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#person-form [type=submit]"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "n'a pas encore voté" in main and "1950" in main
    assert_accessible(browser)
    screenshot(browser, "paper-console-found-fr")
    screenshot(browser, "paper-console-found-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".person-check form button"))
    assert "Bulletin papier" in browser.find_element(By.TAG_NAME, "h1").text
    assert_accessible(browser)
    screenshot(browser, "paper-ballot-fr-narrow", width=380)
    tick(browser, boxes(browser, "citywide")[0])
    district_box = boxes(browser, f"district_{census_city['wazemmes']}")[0]
    tick(browser, district_box)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot [type=submit]"))
    assert_accessible(browser)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert "Bulletin papier enregistré" in browser.find_element(By.TAG_NAME, "h1").text
    assert_accessible(browser)
    screenshot(browser, "paper-receipt-fr-narrow", width=380)
    assert counts(app)[0] == 1
    with app.app_context():
        participation = db.session.scalar(select(Participation).join(Cycle, Cycle.id == Participation.cycle_id)
                                          .where(Cycle.slug == DEMO_CYCLE))
        assert (participation.channel, participation.station_id) == (VoteChannel.PAPER, station)
    # The next person: the same one again is refused.
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Personne suivante"))
    fill(browser, {"identifier": "LIL-DEMO-0002"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#person-form [type=submit]"))
    assert "a déjà voté" in browser.find_element(By.TAG_NAME, "main").text
    assert_accessible(browser)
