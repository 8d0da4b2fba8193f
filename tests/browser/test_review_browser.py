"""An official reviews a proposal in a real browser: dashboard, bad input, feasible with the city's cost."""

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.accounts.models import User
from app.cycles.models import Category, District, PhaseKind
from app.demo import load_demo
from app.extensions import db
from app.proposals.models import Proposal, ProposalStatus, ReasonTemplate
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.factories import make_cycle, make_proposal

pytestmark = pytest.mark.browser

SECRET = "Note interne : voir avec la voirie"


@pytest.fixture
def review_city(app, live):
    with app.app_context():
        load_demo()
        wazemmes = db.session.scalar(select(District).where(District.slug == "wazemmes"))
        fives = db.session.scalar(select(District).where(District.slug == "fives"))
        mobility = db.session.scalar(select(Category).where(Category.slug == "mobilite"))
        author = db.session.scalar(select(User).where(User.email == "habitante@demo.budget-commun.fr"))
        cycle = make_cycle(PhaseKind.REVIEW, title="Budget participatif en revue", districts=[wazemmes, fives],
                           citywide_cents=None)
        proposal = make_proposal(cycle, author, title="Un abri à vélos couvert place du marché", district=wazemmes,
                                 category=mobility, estimated_cost_cents=8_000_00, staff_notes=SECRET,
                                 body="Il manque un abri à vélos **couvert** près du marché de Wazemmes.")
        make_proposal(cycle, author, title="Des arceaux rue Pierre Legrand", district=fives, category=mobility,
                      status=ProposalStatus.FEASIBLE, city_cost_cents=3_000_00)
        make_proposal(cycle, author, title="Une fontaine à eau", district=fives, status=ProposalStatus.UNDER_REVIEW)
        db.session.add(ReasonTemplate(text_fr="Ce projet ne relève pas des compétences de la ville.",
                                      text_en="This project is not within the city's remit."))
        db.session.commit()
        return cycle.id, proposal.id


def sign_in_as_official(browser, live):
    browser.get(live + "/account/login")
    fill(browser, {"email": "mairie@demo.budget-commun.fr", "password": "demo-mairie-2026"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def test_official_reviews_a_proposal_through_the_form(browser, live, app, review_city):
    cycle_id, proposal_id = review_city
    sign_in_as_official(browser, live)
    browser.get(f"{live}/review/?cycle={cycle_id}")
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    assert_accessible(browser)
    screenshot(browser, "review-dashboard-fr")
    screenshot(browser, "review-dashboard-fr-narrow", width=380)

    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Un abri à vélos couvert"))
    assert "Un abri à vélos couvert" in browser.find_element(By.TAG_NAME, "h1").text
    assert SECRET in browser.find_element(By.ID, "notes-notes").get_attribute("value")
    assert_accessible(browser)
    screenshot(browser, "review-proposal-fr")
    screenshot(browser, "review-proposal-fr-narrow", width=380)

    click_and_wait(browser, browser.find_element(By.NAME, "start-submit"))
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).status == ProposalStatus.UNDER_REVIEW

    # Bad input first: no cost. The page says what is wrong and changes nothing.
    title = browser.find_element(By.NAME, "feasible-ballot_title")
    assert title.get_attribute("value") == "Un abri à vélos couvert place du marché"
    fill(browser, {"feasible-city_cost": "douze mille"})
    click_and_wait(browser, browser.find_element(By.NAME, "feasible-submit"))
    summary = browser.find_element(By.CSS_SELECTOR, ".decision-feasible .error-summary")
    assert summary.is_displayed()
    assert browser.find_element(By.NAME, "feasible-city_cost").get_attribute("aria-invalid") == "true"
    assert_accessible(browser)
    screenshot(browser, "review-proposal-error-fr-narrow", width=380)
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).city_cost_cents is None

    fill(browser, {"feasible-city_cost": "15 000", "feasible-ballot_title": "Abri vélos du marché de Wazemmes",
                   "feasible-ballot_summary": "Un abri couvert de 20 places près du marché."})
    click_and_wait(browser, browser.find_element(By.NAME, "feasible-submit"))
    assert browser.find_element(By.CLASS_NAME, "flash-success").is_displayed()
    assert "15" in browser.find_element(By.CSS_SELECTOR, ".facts").text
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert (proposal.status, proposal.city_cost_cents, proposal.ballot_title) == (
            ProposalStatus.FEASIBLE, 15_000_00, "Abri vélos du marché de Wazemmes")

    # The public page shows the city's cost and ballot title, never the staff notes.
    browser.get(f"{live}/proposals/{proposal_id}")
    body = browser.find_element(By.TAG_NAME, "main").text
    assert "Abri vélos du marché de Wazemmes" in body and "15" in body
    assert SECRET not in browser.page_source
    assert_accessible(browser)
    screenshot(browser, "review-public-part-fr-narrow", width=380)

    # Back on the dashboard, every envelope now has a feasible project: the ballot can be frozen.
    browser.get(f"{live}/review/?cycle={cycle_id}&status=all")
    assert not browser.find_elements(By.CSS_SELECTOR, "ul.readiness")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='/freeze'] button"))
    assert browser.find_element(By.CLASS_NAME, "flash-success").is_displayed()
    assert_accessible(browser)
    screenshot(browser, "review-dashboard-frozen-fr")


def test_not_feasible_with_a_template_and_the_reasons_page(browser, live, app, review_city):
    _cycle_id, proposal_id = review_city
    sign_in_as_official(browser, live)
    browser.get(f"{live}/review/proposals/{proposal_id}")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.NAME, "notfeasible-template")).select_by_visible_text(
        "Ce projet ne relève pas des compétences de la ville.")
    click_and_wait(browser, browser.find_element(By.NAME, "notfeasible-submit"))
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.status == ProposalStatus.NOT_FEASIBLE
        assert proposal.public_reason == "Ce projet ne relève pas des compétences de la ville."
    browser.get(f"{live}/review/reasons")
    assert_accessible(browser)
    screenshot(browser, "review-reasons-fr")
    screenshot(browser, "review-reasons-fr-narrow", width=380)
    click_and_wait(browser, browser.find_elements(By.CSS_SELECTOR, ".reason-actions a")[0])
    fill(browser, {"text_fr": ""})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.find_element(By.CLASS_NAME, "error-summary").is_displayed()
    assert_accessible(browser)
    screenshot(browser, "review-reason-edit-error-fr-narrow", width=380)
