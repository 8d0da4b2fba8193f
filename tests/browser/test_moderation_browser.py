"""A resident reports a proposal; a moderator hides it from the queue. Both pages pass axe-core."""

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.accounts.models import User
from app.cycles.models import PhaseKind
from app.deliberation.models import Report, ReportStatus
from app.demo import load_demo
from app.extensions import db
from app.proposals.models import Proposal
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.factories import make_cycle, make_proposal
from tests.xss_corpus import PAYLOADS

pytestmark = pytest.mark.browser

RESIDENT = ("habitante@demo.budget-commun.fr", "demo-habitante-2026")
MODERATOR = ("moderation@demo.budget-commun.fr", "demo-moderation-2026")


@pytest.fixture
def proposal_id(app, live):
    with app.app_context():
        load_demo()
        cycle = make_cycle(PhaseKind.SUBMISSION, title="Budget participatif 2027")
        author = db.session.scalar(select(User).where(User.email == "habitant1@demo.budget-commun.fr"))
        proposal = make_proposal(cycle, author, title="Achetez mes casseroles",
                                 body="Des casseroles à **prix cassés**, écrivez-moi !")
        db.session.commit()
        return proposal.id


def sign_in(browser, live, account):
    email, password = account
    browser.get(live + "/account/login")
    fill(browser, {"email": email, "password": password})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def test_a_resident_reports_a_proposal_and_a_moderator_hides_it(browser, live, app, proposal_id):
    sign_in(browser, live, RESIDENT)
    browser.get(f"{live}/proposals/{proposal_id}")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR,
                                                 f'a[href="/moderation/report/proposal/{proposal_id}"]'))
    assert browser.find_elements(By.CSS_SELECTOR, "input[name=reason]")
    assert_accessible(browser)
    screenshot(browser, "moderation-report-fr")
    screenshot(browser, "moderation-report-fr-narrow", width=380)

    # "Other" without details is refused, and the error is announced and accessible.
    browser.find_element(By.CSS_SELECTOR, "input[name=reason][value=other]").click()
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.CLASS_NAME, "error-summary").is_displayed()
    assert_accessible(browser)

    browser.find_element(By.CSS_SELECTOR, "input[name=reason][value=spam]").click()
    fill(browser, {"details": "Publicité. " + PAYLOADS[1]})
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.current_url.endswith(f"/proposals/{proposal_id}")
    assert browser.find_element(By.CLASS_NAME, "flash-success")
    with app.app_context():
        [report] = db.session.scalars(select(Report)).all()
        assert (report.target_id, report.reason.value) == (proposal_id, "spam")

    browser.delete_all_cookies()
    sign_in(browser, live, MODERATOR)
    assert browser.find_element(By.CSS_SELECTOR, ".moderation-reminder a")  # told that work is waiting
    browser.get(live + "/moderation/")
    assert "Achetez mes casseroles" in browser.find_element(By.CSS_SELECTOR, ".queue-item h2").text
    assert browser.execute_script("return window.__xss") is None
    assert_accessible(browser)
    screenshot(browser, "moderation-queue-fr")
    screenshot(browser, "moderation-queue-fr-narrow", width=380)

    hide = browser.find_element(By.CSS_SELECTOR, f'form[action="/moderation/proposal/{proposal_id}/hide"]')
    assert hide.find_element(By.NAME, "reason").get_attribute("value") == "spam"  # the reporters' reason first
    click_and_wait(browser, hide.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert browser.find_element(By.CLASS_NAME, "flash-success")
    assert browser.find_elements(By.CLASS_NAME, "queue-item") == []
    assert_accessible(browser)
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert (proposal.hidden_reason, proposal.hidden_at is not None) == ("spam", True)
        assert db.session.scalar(select(Report.status)) == ReportStatus.HIDDEN

    browser.get(f"{live}/moderation/?status=decided")
    assert_accessible(browser)
    browser.get(f"{live}/proposals/{proposal_id}")
    assert browser.find_element(By.CLASS_NAME, "hidden-banner")  # moderators still see it, with a banner
    assert_accessible(browser)

    browser.delete_all_cookies()
    browser.get(f"{live}/proposals/{proposal_id}")
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "Achetez mes casseroles" in text and "casseroles à prix" not in text
    assert browser.find_element(By.CLASS_NAME, "hidden-notice")
    assert_accessible(browser)
    screenshot(browser, "moderation-hidden-proposal-fr-narrow", width=380)


def test_moderation_pages_for_words_and_suspensions_are_accessible(browser, live, app, proposal_id):
    sign_in(browser, live, MODERATOR)
    browser.get(live + "/moderation/words")
    fill(browser, {"word": "casserole"})
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert "casserole" in browser.find_element(By.CLASS_NAME, "word-list").text
    assert_accessible(browser)
    screenshot(browser, "moderation-words-fr")
    with app.app_context():
        resident = db.session.scalar(select(User).where(User.email == RESIDENT[0]))
        resident_id = resident.id
    browser.get(f"{live}/moderation/users/{resident_id}/suspend")
    assert_accessible(browser)
    fill(browser, {"days": "400", "reason": "Spam"})
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.CLASS_NAME, "error-summary")
    assert_accessible(browser)
    fill(browser, {"days": "3", "reason": "Messages publicitaires répétés"})
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert "Messages publicitaires répétés" in browser.find_element(By.TAG_NAME, "table").text
    assert_accessible(browser)
    screenshot(browser, "moderation-suspensions-fr")
    screenshot(browser, "moderation-suspensions-fr-narrow", width=380)

    browser.delete_all_cookies()
    sign_in(browser, live, RESIDENT)
    banner = browser.find_element(By.CLASS_NAME, "suspension-banner")
    assert "Messages publicitaires répétés" in banner.text
    assert_accessible(browser)
    screenshot(browser, "moderation-suspended-banner-fr-narrow", width=380)
