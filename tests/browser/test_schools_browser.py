"""Schools in a real browser: a teacher creates a class, opens its budget, prints cards, moderates and moves the
phases; a pupil signs in with a card, proposes an idea, comments and votes; axe-core on each page, French
screenshots at narrow width."""

import pytest
from selenium.webdriver.common.by import By

from app.accounts.models import Role
from app.extensions import db
from app.schools import services
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.browser.test_voting_browser import sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def submit(browser, form_selector: str) -> None:
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"{form_selector} [type=submit]"))


def test_teacher_creates_a_class_prints_cards_moderates_and_moves_phases(browser, live, app):
    with app.app_context():
        official = make_user(Role.OFFICIAL)
        school = services.create_school(official, "École Jules-Ferry")
        services.grant_teacher(official, school, make_user(email="prof@example.org").email, coordinator=True)
        db.session.commit()
        school_id = school.id
    sign_in(browser, live, "prof@example.org", PASSWORD)
    browser.get(f"{live}/school/")
    assert_accessible(browser)
    browser.get(f"{live}/school/{school_id}/teachers")  # the coordinator's page
    assert_accessible(browser)
    browser.get(f"{live}/school/{school_id}/classes/new")
    assert_accessible(browser)
    fill(browser, {"name": "CM2 B", "school_year": "2026-2027", "grade_level": "5"})
    submit(browser, "main form")
    assert "CM2 B" in browser.find_element(By.TAG_NAME, "h1").text
    assert "Supprimer la classe" in browser.page_source  # until its budget opens
    assert_accessible(browser)
    fill(browser, {"budget-title": "Notre cour", "budget-budget": "2000"})
    submit(browser, "form[action$='/budget']")
    fill(browser, {"price-label": "Un banc", "price-icon": "bench", "price-cost": "300"})
    submit(browser, "form[action$='/prices']")
    assert_accessible(browser)
    screenshot(browser, "schools-dashboard-fr-narrow", width=380)
    fill(browser, {"cards-count": "3"})
    submit(browser, "form[action$='/cards']")
    codes = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".code-card-code code")]
    assert len(codes) == 3
    assert_accessible(browser)
    screenshot(browser, "schools-cards-fr-narrow", width=380)
    class_url = browser.find_element(By.LINK_TEXT, "Retour à la classe").get_attribute("href")
    with app.app_context():
        from sqlalchemy import select

        from app.schools.models import Pupil, SchoolClass

        klass = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "CM2 B"))
        pupil = db.session.scalar(select(Pupil).where(Pupil.class_id == klass.id).order_by(Pupil.id))
        services.propose(pupil, "Des bancs", "Pour s'asseoir.", services.prices_of(klass)[0])
        db.session.commit()
    browser.get(class_url)
    assert "Des bancs" in browser.page_source
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action*='/moderate'] button[value=approve]"))
    assert "Refuser finalement" in browser.page_source  # the teacher may change their mind until the vote
    assert_accessible(browser)
    screenshot(browser, "schools-dashboard-decided-fr-narrow", width=380)
    for step in ("Discussion", "Vote", "Résultats"):
        submit(browser, "form[action$='/phase']")
        assert step in browser.find_element(By.CSS_SELECTOR, ".school-steps .current").text
    assert_accessible(browser)
    screenshot(browser, "schools-dashboard-results-fr-narrow", width=380)


def test_pupil_signs_in_proposes_comments_and_votes(browser, live, app):
    from tests.schools.conftest import approved_idea, make_class

    with app.app_context():
        klass, teacher, cards = make_class(cards=2)
        approved_idea(klass, teacher, cards[1].pupil, "Un potager")
        db.session.commit()
        class_code, card_code, class_id = klass.code, cards[0].code, klass.id
    browser.get(f"{live}/school/pupil/sign-in")
    assert_accessible(browser)
    screenshot(browser, "schools-pupil-sign-in-fr-narrow", width=380)
    fill(browser, {"class_code": class_code, "card_code": "WRONG"})
    submit(browser, "main form")
    assert browser.find_element(By.CSS_SELECTOR, ".error-message").is_displayed()
    fill(browser, {"class_code": class_code.lower(), "card_code": card_code})
    submit(browser, "main form")
    assert "Bonjour" in browser.find_element(By.TAG_NAME, "h1").text
    assert_accessible(browser)
    screenshot(browser, "schools-pupil-home-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Proposer une idée"))
    assert_accessible(browser)
    fill(browser, {"title": "Une fresque", "why": "Pour rendre la cour plus jolie."})
    browser.find_element(By.CSS_SELECTOR, "input[name=price]").click()
    screenshot(browser, "schools-pupil-idea-fr-narrow", width=380)
    submit(browser, "main form")
    assert "Une fresque" in browser.page_source
    # The author changes the idea while it waits, then takes it back.
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Une fresque"))
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Modifier mon idée"))
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "Une fresque"
    assert_accessible(browser)
    fill(browser, {"title": "Une grande fresque"})
    submit(browser, "main form")
    assert "Une grande fresque" in browser.find_element(By.TAG_NAME, "h1").text
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Reprendre mon idée"))
    assert_accessible(browser)
    screenshot(browser, "schools-pupil-idea-withdraw-fr-narrow", width=380)
    submit(browser, "main form")
    assert "Bonjour" in browser.find_element(By.TAG_NAME, "h1").text and "Une grande fresque" not in browser.page_source
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Un potager"))
    browser.find_element(By.CSS_SELECTOR, "input[name=stance][value=for]").click()
    fill(browser, {"body": "Oui, on mangera nos tomates !"})
    assert_accessible(browser)
    submit(browser, "main form")
    assert "Oui, on mangera nos tomates" in browser.page_source
    with app.app_context():
        from app.cycles.models import PhaseKind
        from app.schools.models import SchoolClass
        from tests.schools.conftest import to_phase

        klass = db.session.get(SchoolClass, class_id)
        to_phase(klass, klass.teacher, PhaseKind.VOTING)
        db.session.commit()
    browser.get(f"{live}/school/pupil/")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main a.pupil-button"))
    assert_accessible(browser)
    screenshot(browser, "schools-pupil-vote-fr-narrow", width=380)
    browser.find_element(By.CSS_SELECTOR, "input[name=idea]").click()
    submit(browser, "main form")
    assert "secret" in browser.page_source
    with app.app_context():
        klass = db.session.get(SchoolClass, class_id)
        services.move_phase(klass.teacher, klass)
        db.session.commit()
    browser.get(f"{live}/school/pupil/results")
    assert "Un potager" in browser.page_source
    assert_accessible(browser)
    screenshot(browser, "schools-pupil-results-fr-narrow", width=380)


def test_official_runs_a_school_page(browser, live, app):
    from tests.schools.conftest import make_class, make_teacher

    with app.app_context():
        klass, teacher, _ = make_class(cards=0)
        official = make_user(Role.OFFICIAL, email="ville@example.org")
        make_teacher(klass.school, official)
        empty = services.create_school(official, "École fermée")
        db.session.commit()
        school_id, empty_id, class_id = klass.school_id, empty.id, klass.id
    sign_in(browser, live, "ville@example.org", PASSWORD)
    browser.get(f"{live}/school/{school_id}/teachers")
    assert "ne peut pas être supprimée" in browser.page_source
    assert_accessible(browser)
    screenshot(browser, "schools-school-page-fr-narrow", width=380)
    submit(browser, f"form[action$='/classes/{class_id}/hand-over']")  # to the other teacher, the only choice
    assert "confiée" in browser.page_source
    browser.get(f"{live}/school/{empty_id}/teachers")
    browser.find_element(By.ID, "delete-confirm").click()
    assert_accessible(browser)
    submit(browser, "form[action$='/delete']")
    assert "supprimée" in browser.page_source and "École fermée" not in browser.page_source
