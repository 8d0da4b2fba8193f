"""A call-center agent in a real browser: a full call (search as you type, intake on the map, new proposal) and the
callback queue; axe-core on every console page."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from app.callcenter.models import Call, CallbackTask, Caller, TaskStatus
from app.demo import load_demo
from app.extensions import db
from app.proposals.models import Proposal
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_city(app, live):
    with app.app_context():
        load_demo()


def sign_in(browser, live, email, password):
    browser.get(live + "/account/login")
    fill(browser, {"email": email, "password": password})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def sign_in_as_agent(browser, live):
    sign_in(browser, live, "accueil@demo.budget-commun.fr", "demo-accueil-2026")


def test_a_full_call_search_intake_and_new_proposal(browser, live, app, demo_city):
    sign_in_as_agent(browser, live)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Accueil téléphonique"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Écran d'appel"
    assert "Ce que vous pouvez promettre maintenant" in browser.page_source
    assert_accessible(browser)
    screenshot(browser, "callcenter-console-fr")
    screenshot(browser, "callcenter-console-fr-narrow", width=380)

    # Search as you type: the results come in without a page load.
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.NAME, "q").send_keys("valenciennes")
    WebDriverWait(browser, 10).until(
        lambda d: "Porte de Valenciennes" in d.find_element(By.ID, "call-results").text)
    assert browser.find_element(By.TAG_NAME, "html") == page
    assert_accessible(browser)

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Enregistrer l'appel"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Nouvel appel"
    assert_accessible(browser)
    screenshot(browser, "callcenter-intake-fr")
    screenshot(browser, "callcenter-intake-fr-narrow", width=380)

    # First without a valid number: a clear error, nothing written.
    complaint = browser.find_element(By.NAME, "complaint")
    assert complaint.get_attribute("value") == "valenciennes"  # what the agent searched for, to start from
    complaint.clear()
    complaint.send_keys("Le trottoir de la rue des Postes est défoncé devant l'école, les poussettes passent "
                        "sur la route.")
    browser.find_element(By.ID, "consent").click()
    fill(browser, {"name": "Gisèle Testnavigateur", "phone": "06 12", "title": "Refaire le trottoir rue des Postes"})
    browser.find_element(By.ID, "outcome-0").click()
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    assert browser.find_element(By.NAME, "phone").get_attribute("aria-invalid") == "true"
    assert_accessible(browser)
    screenshot(browser, "callcenter-intake-error-fr-narrow", width=380)
    with app.app_context():
        assert db.session.scalar(select(Proposal).where(Proposal.title.like("Refaire le trottoir%"))) is None

    # The map picker of the proposal form places the request.
    picker = browser.find_element(By.ID, "location-picker")
    assert picker.is_displayed()
    picker.click()
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.NAME, "latitude").get_attribute("value"))
    fill(browser, {"phone": "06 12 34 56 78"})
    assert browser.find_element(By.ID, "consent").is_selected()
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    code = browser.find_element(By.CSS_SELECTOR, ".claim-code .code").text
    assert len(code) == 14
    assert_accessible(browser)
    screenshot(browser, "callcenter-call-fr")
    with app.app_context():
        proposal = db.session.scalar(select(Proposal).where(Proposal.title == "Refaire le trottoir rue des Postes"))
        assert proposal.channel == "phone" and proposal.latitude is not None
        call = db.session.scalar(select(Call).where(Call.proposal_id == proposal.id))
        assert call.agent.email == "accueil@demo.budget-commun.fr"
        assert db.session.get(Caller, call.caller_id).phone == "+33612345678"

    # The log and the caller's record.
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Journal des appels"))
    assert_accessible(browser)
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Fiche n°"))
    assert "Données personnelles" in browser.page_source
    assert_accessible(browser)
    screenshot(browser, "callcenter-caller-fr-narrow", width=380)


def test_working_the_callback_queue(browser, live, app, demo_city):
    with app.app_context():
        due = db.session.scalars(select(CallbackTask).where(CallbackTask.status == TaskStatus.OPEN)).all()
        assert len(due) >= 2
    sign_in_as_agent(browser, live)
    browser.get(live + "/callcenter/callbacks")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Rappels"
    assert "en retard" in browser.page_source
    assert_accessible(browser)
    screenshot(browser, "callcenter-queue-fr")
    screenshot(browser, "callcenter-queue-fr-narrow", width=380)

    click_and_wait(browser, browser.find_elements(By.CSS_SELECTOR, ".queue-list form button")[0])
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Rappel n°")
    number = browser.find_element(By.CSS_SELECTOR, ".phone a").text
    assert number.startswith("01 99 00")
    assert_accessible(browser)
    screenshot(browser, "callcenter-task-fr")
    screenshot(browser, "callcenter-task-fr-narrow", width=380)
    task_id = int(browser.current_url.rstrip("/").rsplit("/", 1)[1])

    # Sending without choosing: a clear error.
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    assert_accessible(browser)

    browser.find_element(By.CSS_SELECTOR, "input[value=no_answer]").click()
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert "Le rappel a été enregistré." in browser.page_source
    with app.app_context():
        task = db.session.get(CallbackTask, task_id)
        assert task.status == TaskStatus.OPEN and task.attempts == 1 and task.taken_by_id is None

    # Taken again (tomorrow's attempt, here at once) and reached.
    browser.find_element(By.XPATH, f"//button[contains(., 'Prendre le rappel {task_id}')]").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith(f"/callcenter/callbacks/{task_id}"))
    browser.find_element(By.CSS_SELECTOR, "input[value=reached]").click()
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    with app.app_context():
        assert db.session.get(CallbackTask, task_id).status == TaskStatus.DONE


def test_officials_pages_are_accessible(browser, live, demo_city):
    sign_in(browser, live, "mairie@demo.budget-commun.fr", "demo-mairie-2026")
    for path, name in (("/callcenter/dashboard", "dashboard"), ("/callcenter/talking-points", "talking-points"),
                       ("/callcenter/talking-points/submission", "talking-point-form"),
                       ("/callcenter/services", "services"), ("/callcenter/services/new", "service-form"),
                       ("/callcenter/settings", "settings"), ("/callcenter/callers", "callers")):
        browser.get(live + path)
        assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1, path
        assert_accessible(browser)
        screenshot(browser, f"callcenter-{name}-fr")
        screenshot(browser, f"callcenter-{name}-fr-narrow", width=380)


def test_a_resident_claims_a_proposal_page_is_accessible(browser, live, demo_city):
    sign_in(browser, live, "habitante@demo.budget-commun.fr", "demo-habitante-2026")
    browser.get(live + "/callcenter/claim")
    assert_accessible(browser)
    fill(browser, {"code": "AAAA-BBBB-CCCC"})
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    assert_accessible(browser)
    screenshot(browser, "callcenter-claim-fr-narrow", width=380)
