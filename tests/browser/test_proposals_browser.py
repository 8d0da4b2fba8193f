"""A resident proposes an idea with the map, then finds it through search and filters."""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.accounts.models import User
from app.cycles.models import Category, District, PhaseKind
from app.demo import load_demo
from app.extensions import db
from app.proposals.models import Proposal
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.factories import make_cycle, make_proposal

pytestmark = pytest.mark.browser


@pytest.fixture
def city(app, live):
    with app.app_context():
        load_demo()
        wazemmes = db.session.scalar(select(District).where(District.slug == "wazemmes"))
        fives = db.session.scalar(select(District).where(District.slug == "fives"))
        cycle = make_cycle(PhaseKind.SUBMISSION, title="Budget participatif 2027", districts=[wazemmes, fives])
        nature = db.session.scalar(select(Category).where(Category.slug == "nature"))
        author = db.session.scalar(select(User).where(User.email == "moderation@demo.budget-commun.fr"))
        make_proposal(cycle, author, title="Des arbres rue Pierre Legrand", district=fives, category=nature,
                      body="Planter des **arbres** pour faire de l'ombre.", latitude=50.628, longitude=3.09)
        db.session.commit()
        return cycle.slug, wazemmes.id, fives.id


def sign_in(browser, live, email="habitante@demo.budget-commun.fr", password="demo-habitante-2026"):  # noqa: S107
    browser.get(live + "/account/login")
    fill(browser, {"email": email, "password": password})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def test_propose_with_the_map(browser, live, app, city):
    slug, wazemmes_id, _fives_id = city
    sign_in(browser, live)
    browser.get(f"{live}/proposals/new?cycle={slug}")
    assert_accessible(browser)
    screenshot(browser, "proposal-form-fr")
    screenshot(browser, "proposal-form-fr-narrow", width=380)
    fill(browser, {"title": "Un abri à vélos couvert", "body": "Il manque un abri à vélos couvert près du marché.",
                   "district": str(wazemmes_id), "address": "Place de la Nouvelle Aventure",
                   "estimated_cost": "12 000"})
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.NAME, "category")).select_by_index(2)
    picker = browser.find_element(By.ID, "location-picker")
    assert picker.is_displayed()
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", picker)
    ActionChains(browser).move_to_element_with_offset(picker, 20, 10).click().perform()
    latitude = browser.find_element(By.NAME, "latitude").get_attribute("value")
    assert latitude and 50 < float(latitude) < 51
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Un abri à vélos couvert"
    assert_accessible(browser)
    screenshot(browser, "proposal-page-fr")
    screenshot(browser, "proposal-page-fr-narrow", width=380)
    with app.app_context():
        saved = db.session.scalar(select(Proposal).where(Proposal.title == "Un abri à vélos couvert"))
        assert saved.latitude is not None and saved.estimated_cost_cents == 1_200_000


def test_listing_search_and_filters(browser, live, app, city):
    slug, _wazemmes_id, fives_id = city
    browser.get(f"{live}/proposals/?cycle={slug}")
    assert_accessible(browser)
    fill(browser, {"q": "arbre"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    cards = browser.find_elements(By.CSS_SELECTOR, ".proposal-card h2")
    assert [c.text for c in cards] == ["Des arbres rue Pierre Legrand"]
    fill(browser, {"q": "", "district": str(fives_id)})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".proposal-card")) == 1
    screenshot(browser, "proposals-list-fr")
    screenshot(browser, "proposals-list-fr-narrow", width=380)
    browser.get(f"{live}/proposals/map?cycle={slug}")
    assert_accessible(browser)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")) == 1


def test_support_a_proposal(browser, live, app, city):
    sign_in(browser, live)
    browser.get(f"{live}/proposals/")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Des arbres rue Pierre Legrand"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".proposal-side form button"))
    assert "1" in browser.find_element(By.CLASS_NAME, "support-count").text


def test_no_payload_runs_in_the_browser(browser, live, app, city):
    from tests.xss_corpus import PAYLOADS

    slug = city[0]
    with app.app_context():
        cycle = db.session.scalar(select(Proposal.cycle_id).limit(1))
        author = db.session.scalar(select(User).where(User.email == "habitante@demo.budget-commun.fr"))
        author.display_name = PAYLOADS[1][:80]
        ids = [make_proposal(_cycle(cycle), author, title=payload[:150], body=f"Texte {payload}",
                             address=payload[:200]).id for payload in PAYLOADS]
        db.session.commit()
    for path in [f"/proposals/?cycle={slug}", *[f"/proposals/{i}" for i in ids[:5]], "/proposals/map"]:
        browser.get(live + path)
        assert browser.execute_script("return window.__xss === undefined"), path


def _cycle(cycle_id):
    from app.cycles.models import Cycle

    return db.session.get(Cycle, cycle_id)
