"""Voting in a real browser: with JavaScript (live counter) and without it, the receipt, changing the vote,
checking the receipt after the results; axe-core on every voting page, desktop and narrow screenshots."""

import re
import shutil
import tempfile
from datetime import timedelta

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.core import clock
from app.cycles.models import Cycle, District
from app.demo import load_demo
from app.extensions import db
from app.proposals.models import BallotItem
from app.voting.demo import DEMO_CYCLE, load_voting_demo
from app.voting.models import Ballot, BallotChoice, Participation
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

RESIDENT = ("habitante@demo.budget-commun.fr", "demo-habitante-2026")
OFFICIAL = ("mairie@demo.budget-commun.fr", "demo-mairie-2026")
CODE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$")


@pytest.fixture
def demo_vote(app, live):
    """The demo city, its 2026 budget open for voting with Lille's rules (approval, up to 5 projects)."""
    with app.app_context():
        load_demo()
        load_voting_demo()
        db.session.commit()
        cycle = db.session.scalar(select(Cycle).where(Cycle.slug == DEMO_CYCLE))
        wazemmes = db.session.scalar(select(District).where(District.slug == "wazemmes"))
        items = db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)).all()
        assert sum(1 for i in items if i.district_id is None) >= 6, "the demo needs 6 city-wide projects"
        assert any(i.district_id == wazemmes.id for i in items), "the demo needs a project in Wazemmes"
        return {"slug": cycle.slug, "cycle_id": cycle.id, "wazemmes": wazemmes.id}


def sign_in(browser, live, email: str, password: str) -> None:
    browser.get(live + "/account/login")
    fill(browser, {"email": email, "password": password})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def envelope(browser, name: str):
    return browser.find_element(By.ID, name)


def boxes(browser, name: str):
    return envelope(browser, name).find_elements(By.CSS_SELECTOR, "input[type=checkbox]")


def tick(browser, box) -> None:
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.click()


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Participation, Ballot, BallotChoice))


def chosen_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(BallotChoice.ballot_item_id)))


def test_cast_with_javascript_then_change_with_the_receipt(browser, live, app, demo_vote):
    slug, district_field = demo_vote["slug"], f"district_{demo_vote['wazemmes']}"
    sign_in(browser, live, *RESIDENT)
    browser.get(f"{live}/budgets/{slug}")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"a.button[href$='/vote/{slug}']"))
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1

    city = envelope(browser, "citywide")
    counter = city.find_element(By.CSS_SELECTOR, "[data-counter]")
    assert counter.is_displayed()  # voting.js showed it
    assert city.find_element(By.CSS_SELECTOR, "[data-count]").text == "0"
    first_cost = city.find_element(By.CSS_SELECTOR, "[data-total]").text
    city_boxes = boxes(browser, "citywide")
    for box in city_boxes[:2]:
        tick(browser, box)
    assert city.find_element(By.CSS_SELECTOR, "[data-count]").text == "2"
    assert city.find_element(By.CSS_SELECTOR, "[data-total]").text != first_cost
    assert_accessible(browser)
    screenshot(browser, "voting-ballot-js-fr")
    screenshot(browser, "voting-ballot-js-fr-narrow", width=380)

    # Six projects: the counter warns at once; the server refuses on review.
    for box in city_boxes[2:6]:
        tick(browser, box)
    warning = city.find_element(By.CSS_SELECTOR, "[data-too-many]")
    assert city.find_element(By.CSS_SELECTOR, "[data-count]").text == "6" and warning.is_displayed()
    assert "envelope-over" in city.get_attribute("class")
    screenshot(browser, "voting-ballot-too-many-fr-narrow", width=380)
    tick(browser, boxes(browser, district_field)[0])
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    assert envelope(browser, "citywide").get_attribute("aria-describedby").endswith("citywide-error")
    assert_accessible(browser)
    screenshot(browser, "voting-ballot-error-fr")
    assert counts(app) == (0, 0, 0)

    # Back to five, review, confirm.
    tick(browser, boxes(browser, "citywide")[5])
    assert not envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-too-many]").is_displayed()
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".review-envelope")) == 2
    assert len(browser.find_elements(By.CSS_SELECTOR, ".chosen-list li")) == 6
    assert_accessible(browser)
    screenshot(browser, "voting-review-fr")
    screenshot(browser, "voting-review-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    code = browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text
    assert CODE.match(code)
    assert counts(app) == (1, 2, 6)
    assert_accessible(browser)
    screenshot(browser, "voting-receipt-fr")
    screenshot(browser, "voting-receipt-fr-narrow", width=380)

    # The ballot page now says the vote is recorded; the receipt is not shown again.
    browser.get(f"{live}/vote/{slug}")
    assert code not in browser.page_source
    assert not browser.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")
    assert_accessible(browser)
    screenshot(browser, "voting-voted-fr-narrow", width=380)

    # Change the vote with the receipt code.
    browser.get(f"{live}/vote/{slug}/change")
    assert_accessible(browser)
    screenshot(browser, "voting-change-fr-narrow", width=380)
    fill(browser, {"code": code.lower().replace("-", " ")})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    city_boxes = boxes(browser, "citywide")
    assert [box.is_selected() for box in city_boxes[:6]] == [True] * 5 + [False]
    assert envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-count]").text == "5"
    for box in city_boxes[1:5]:
        tick(browser, box)
    expected = {int(box.get_attribute("value")) for box in browser.find_elements(By.CSS_SELECTOR, "input:checked")}
    assert len(expected) == 2
    assert_accessible(browser)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert browser.find_element(By.CLASS_NAME, "flash-success").is_displayed()
    assert counts(app) == (1, 2, 2) and chosen_ids(app) == expected


@pytest.fixture
def nojs_driver():
    """A second Chromium with JavaScript switched off, for the flow every browser must be able to follow."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="chromium-nojs-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--window-size=1280,900", f"--user-data-dir={profile}",
                 "--lang=fr-FR"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr",
                                              "profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_cast_without_javascript(nojs_driver, live, app, demo_vote):
    browser = nojs_driver
    slug, district_field = demo_vote["slug"], f"district_{demo_vote['wazemmes']}"
    with app.app_context():
        make_user(email="sans-js@example.org", district_id=demo_vote["wazemmes"])
        db.session.commit()
    sign_in(browser, live, "sans-js@example.org", PASSWORD)
    browser.get(f"{live}/vote/{slug}")
    counter = envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-counter]")
    assert not counter.is_displayed()  # without JavaScript the counter stays hidden: it could not update
    for box in boxes(browser, "citywide")[:6]:
        tick(browser, box)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()  # the server's checks
    screenshot(browser, "voting-ballot-nojs-error-fr-narrow", width=380)
    assert counts(app) == (0, 0, 0)
    city_boxes = boxes(browser, "citywide")
    assert sum(box.is_selected() for box in city_boxes) == 6  # the choices came back
    for box in city_boxes[3:6]:
        tick(browser, box)
    tick(browser, boxes(browser, district_field)[0])
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    # "Change my choices" brings the ballot back as it was, then review again and confirm.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=edit]"))
    assert sum(box.is_selected() for box in boxes(browser, "citywide")) == 3
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert CODE.match(browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text)
    assert counts(app) == (1, 2, 4)


def test_district_choice_rules_page_and_receipt_check(browser, live, app, demo_vote, monkeypatch):
    slug = demo_vote["slug"]
    with app.app_context():
        make_user(email="sans-quartier@example.org")
        db.session.commit()
    sign_in(browser, live, "sans-quartier@example.org", PASSWORD)
    browser.get(f"{live}/vote/{slug}")
    assert browser.current_url.endswith(f"/vote/{slug}/district")
    assert_accessible(browser)
    screenshot(browser, "voting-district-fr-narrow", width=380)
    fill(browser, {"district": str(demo_vote["wazemmes"])})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.current_url.endswith(f"/vote/{slug}")
    for box in boxes(browser, "citywide")[:1] + boxes(browser, f"district_{demo_vote['wazemmes']}")[:1]:
        tick(browser, box)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    code = browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sans-quartier@example.org"))
        assert user.district_id == demo_vote["wazemmes"]

    # Officials: the rules page says the rules are frozen now that a ballot is cast.
    browser.delete_all_cookies()
    sign_in(browser, live, *OFFICIAL)
    browser.get(f"{live}/vote/{slug}/rules")
    assert browser.find_elements(By.CSS_SELECTOR, "p.notice") and not browser.find_elements(By.NAME, "max_choices")
    assert_accessible(browser)
    screenshot(browser, "voting-rules-frozen-fr")
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == OFFICIAL[0])) == Role.OFFICIAL

    # Before the results the receipt check page says when it opens; after, anyone can check.
    browser.delete_all_cookies()
    browser.get(f"{live}/vote/{slug}/receipt")
    assert not browser.find_elements(By.NAME, "code")
    assert_accessible(browser)
    results = clock.utcnow() + timedelta(days=20)
    monkeypatch.setattr(clock, "_now", lambda: results)
    browser.get(f"{live}/vote/{slug}/receipt")
    fill(browser, {"code": code})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".receipt-result .chosen-list li")) == 2
    assert_accessible(browser)
    screenshot(browser, "voting-receipt-check-fr")
    screenshot(browser, "voting-receipt-check-fr-narrow", width=380)


def test_rules_page_form_for_officials(browser, live, app, demo_vote):
    sign_in(browser, live, *OFFICIAL)
    browser.get(f"{live}/vote/{demo_vote['slug']}/rules")
    fill(browser, {"min_choices": "4", "max_choices": "2"})
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.NAME, "max_choices").get_attribute("aria-invalid") == "true"
    assert_accessible(browser)
    screenshot(browser, "voting-rules-fr")
    screenshot(browser, "voting-rules-fr-narrow", width=380)
