"""An official follows up the projects chosen by the vote, posts an update with a photo, and the public sees it."""

import io

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.accounts.models import Role
from app.core.clock import local_now
from app.cycles.models import PhaseKind
from app.extensions import db
from app.proposals.models import ProposalStatus
from app.tracking import services
from app.tracking.models import ProjectStatus, TrackingUpdate
from app.tracking.services import PhotoUpload
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.factories import PASSWORD, make_category, make_cycle, make_district, make_proposal, make_user

pytestmark = pytest.mark.browser

OFFICIAL_EMAIL = "suivi@ville.example.org"


def png(path=None, size=(640, 420)) -> bytes:
    image = Image.new("RGB", size, (46, 125, 50))
    for x in range(0, size[0], 40):  # a few stripes, so the picture is visibly a picture
        for y in range(size[1]):
            image.putpixel((x, y), (250, 250, 250))
    out = io.BytesIO()
    image.save(out, "PNG")
    if path is not None:
        path.write_bytes(out.getvalue())
    return out.getvalue()


@pytest.fixture
def last_year(app, live):
    """A finished budget: one project in progress with news, one done, one cancelled, one not opened yet."""
    with app.app_context(), app.test_request_context("/"):
        official = make_user(Role.OFFICIAL, email=OFFICIAL_EMAIL, display_name="Service des projets")
        vauban, fives = make_district("Vauban-Esquermes"), make_district("Fives")
        nature = make_category("Nature en ville")
        cycle = make_cycle(PhaseKind.IMPLEMENTATION, title="Budget participatif 2025")
        trees = make_proposal(cycle, status=ProposalStatus.SELECTED, title="Des arbres rue Solférino",
                              city_cost_cents=4_500_000, district=vauban, category=nature)
        benches = make_proposal(cycle, status=ProposalStatus.SELECTED, title="Des bancs au parc Jean-Baptiste Lebas",
                                city_cost_cents=1_200_000)
        fountain = make_proposal(cycle, status=ProposalStatus.SELECTED, title="Une fontaine à Fives",
                                 city_cost_cents=9_000_000, district=fives)
        make_proposal(cycle, status=ProposalStatus.SELECTED, title="Un jardin partagé à Moulins",
                      city_cost_cents=2_500_000)
        tracking = services.open_tracking(official, trees)
        services.update_tracking(official, tracking, status=ProjectStatus.IN_PROGRESS, progress=35,
                                 planned_budget_cents=4_500_000, spent_cents=1_580_000)
        services.post_update(official, tracking, happened_on=local_now().date().replace(day=1),
                             title="Les fosses sont creusées",
                             body="Les services ont préparé **douze** emplacements.",
                             photos=[PhotoUpload(io.BytesIO(png(size=(300, 200))), "Une fosse de plantation")])
        done = services.open_tracking(official, benches)
        services.update_tracking(official, done, status=ProjectStatus.DONE, progress=100,
                                 planned_budget_cents=1_200_000, spent_cents=1_150_000)
        cancelled = services.open_tracking(official, fountain)
        services.update_tracking(official, cancelled, status=ProjectStatus.CANCELLED, progress=10,
                                 planned_budget_cents=9_000_000, spent_cents=40_000,
                                 cancel_reason="Le réseau d'eau ne permet pas de l'alimenter sans gros travaux.")
        db.session.commit()
        return cycle.slug, tracking.id


def fits_a_narrow_screen(browser) -> bool:
    """At 380 px wide, nothing makes the whole page scroll sideways."""
    browser.set_window_size(380, 900)
    try:
        return browser.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        browser.set_window_size(1280, 900)


def sign_in(browser, live, email=OFFICIAL_EMAIL):
    browser.get(live + "/account/login")
    fill(browser, {"email": email, "password": PASSWORD})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def test_official_posts_an_update_with_a_photo_and_the_public_sees_it(browser, live, app, last_year, tmp_path):
    slug, tracking_id = last_year
    sign_in(browser, live)

    browser.get(f"{live}/tracking/cycles/{slug}")
    assert len(browser.find_elements(By.CSS_SELECTOR, "main tbody tr")) == 4
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    screenshot(browser, "tracking-staff-list-fr")
    screenshot(browser, "tracking-staff-list-fr-narrow", width=380)

    browser.get(f"{live}/tracking/{tracking_id}")
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    screenshot(browser, "tracking-edit-fr")
    screenshot(browser, "tracking-edit-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"a[href='/tracking/{tracking_id}/updates/new']"))
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    screenshot(browser, "tracking-update-form-fr")
    screenshot(browser, "tracking-update-form-fr-narrow", width=380)

    # A file that is not an image: the form comes back with a clear error, nothing is published.
    bad = tmp_path / "plan.png"
    bad.write_bytes(b"this is not a picture")
    fill(browser, {"title": "Les arbres sont plantés"})
    browser.find_element(By.ID, "photo").send_keys(str(bad))
    browser.find_element(By.ID, "photo-alt-1").send_keys("Un plan")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.find_element(By.CLASS_NAME, "error-summary").is_displayed()
    assert browser.find_element(By.ID, "photo-error").text
    assert_accessible(browser)
    screenshot(browser, "tracking-update-error-fr-narrow", width=380)

    photo = tmp_path / "plantation.png"
    png(photo)
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "Les arbres sont plantés"
    fill(browser, {"body": "Douze tilleuls ont été plantés **samedi** avec les habitants."})
    browser.find_element(By.ID, "photo").send_keys(str(photo))
    alt = browser.find_element(By.ID, "photo-alt-1")
    alt.clear()
    alt.send_keys("Des habitants arrosent un jeune tilleul")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert "/tracking/" in browser.current_url and "updates/new" not in browser.current_url
    with app.app_context():
        update = db.session.scalar(select(TrackingUpdate).where(TrackingUpdate.title == "Les arbres sont plantés"))
        assert update is not None and [p.alt for p in update.photos] == ["Des habitants arrosent un jeune tilleul"]

    # The public page, as anybody: signed out.
    browser.delete_all_cookies()
    browser.get(f"{live}/budgets/{slug}/outcomes")
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    projects = browser.find_elements(By.CSS_SELECTOR, ".tracking-project")
    assert len(projects) == 4
    progress = browser.find_element(By.CSS_SELECTOR, ".tracking-project progress")
    assert progress.get_attribute("value") == "35"
    assert "35" in browser.find_element(By.CSS_SELECTOR, ".tracking-project .tracking-progress label").text
    image = browser.find_element(By.CSS_SELECTOR, "img[alt='Des habitants arrosent un jeune tilleul']")
    browser.execute_script("arguments[0].scrollIntoView()", image)
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 640
    assert "samedi" in browser.find_element(By.CSS_SELECTOR, ".tracking-updates").text
    assert "gros travaux" in browser.find_element(By.CSS_SELECTOR, ".tracking-project-cancelled").text
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, "tracking-outcomes-fr")
    screenshot(browser, "tracking-outcomes-fr-narrow", width=380)


def test_public_outcomes_page_in_english_and_the_proposal_block(browser, live, app, last_year):
    slug, tracking_id = last_year
    browser.get(f"{live}/budgets/{slug}/outcomes")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=en]"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "What became of our votes" in browser.find_element(By.TAG_NAME, "h1").text
    totals = browser.find_element(By.CSS_SELECTOR, ".tracking-totals").text
    assert "In progress" in totals and "Cancelled" in totals
    assert_accessible(browser)
    screenshot(browser, "tracking-outcomes-en-narrow", width=380)

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Des arbres rue Solférino"))
    section = browser.find_element(By.CSS_SELECTOR, ".tracking-section")
    assert "Carrying out the project" in section.text and "Les fosses sont creusées" in section.text
    assert_accessible(browser)
    screenshot(browser, "tracking-proposal-block-en")
