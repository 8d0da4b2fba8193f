"""Tracking through the web: the public outcomes page, the proposal block, staff forms with bad input, photos and
the permission table, role by role."""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.clock import local_now
from app.core.models import AuditEntry, Notification
from app.cycles.models import PhaseKind
from app.extensions import db as _db
from app.proposals.models import Follow, ProposalStatus
from app.tracking import services
from app.tracking.models import ProjectStatus, ProjectTracking, TrackingPhoto, TrackingUpdate
from app.tracking.permissions import can
from app.tracking.services import PhotoUpload
from tests.conftest import csrf_token, login
from tests.factories import make_cycle, make_district, make_proposal, make_user

EN = {"Accept-Language": "en"}


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 200)).save(out, "PNG")
    return out.getvalue()


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def project(app, db):
    """A cycle in implementation with one selected project, tracked, with one update and one photo."""
    with app.test_request_context("/"):
        official = make_user(Role.OFFICIAL, display_name="Agente de la ville")
        cycle = make_cycle(PhaseKind.IMPLEMENTATION, title="Budget 2025")
        proposal = make_proposal(cycle, status=ProposalStatus.SELECTED, title="Des arbres rue Solférino",
                                 city_cost_cents=4_500_000, district=make_district("Vauban"),
                                 staff_notes="NOTE INTERNE à ne pas publier")
        tracking = services.open_tracking(official, proposal)
        services.update_tracking(official, tracking, status=ProjectStatus.IN_PROGRESS, progress=40,
                                 planned_budget_cents=4_500_000, spent_cents=1_234_500)
        services.post_update(official, tracking, happened_on=local_now().date(), title="Plantation des premiers arbres",
                             body="Les **dix** premiers arbres sont plantés.",
                             photos=[PhotoUpload(io.BytesIO(png_bytes()), "Deux jardiniers plantent un tilleul")])
    db.session.commit()
    return tracking


# --- public -----------------------------------------------------------------------------------------------------


def test_outcomes_page_as_anonymous_shows_progress_budget_updates_and_photos(client, project):
    cycle = project.proposal.cycle
    response = client.get(f"/budgets/{cycle.slug}/outcomes", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1 and "What became of our votes" in html
    assert "Des arbres rue Solférino" in html and "Vauban" in html
    assert 'max="100" value="40"' in html and "Progress: 40%" in html  # as a bar and as text
    assert "€45,000" in html or "45,000" in html  # planned
    assert "12,345" in html  # spent
    assert "Plantation des premiers arbres" in html and "<strong>dix</strong>" in html
    photo = project.updates[0].photos[0]
    assert f'src="/tracking/photos/{photo.token}"' in html and 'alt="Deux jardiniers plantent un tilleul"' in html
    assert "NOTE INTERNE" not in html
    assert "Manage the tracking" not in html  # no staff link for the public
    totals = re.search(r'<dl class="tracking-totals">(.*?)</dl>', html, re.S).group(1)
    assert "In progress" in totals and "1 project" in totals


def test_outcomes_page_of_a_cycle_without_selected_projects_and_unknown_cycle(client, db):
    cycle = make_cycle(PhaseKind.VOTING)
    db.session.commit()
    response = client.get(f"/budgets/{cycle.slug}/outcomes", headers=EN)
    assert response.status_code == 200
    assert "No project has been selected" in response.get_data(as_text=True)
    assert client.get("/budgets/no-such-cycle/outcomes").status_code == 404


def test_outcomes_page_escapes_user_text(client, db, app):
    cycle = make_cycle(PhaseKind.IMPLEMENTATION)
    proposal = make_proposal(cycle, status=ProposalStatus.SELECTED, title="<script>alert(1)</script>")
    with app.test_request_context("/"):
        official = make_user(Role.OFFICIAL, locale="en")
        tracking = services.open_tracking(official, proposal)
        services.update_tracking(official, tracking, status=ProjectStatus.CANCELLED, progress=0,
                                 planned_budget_cents=0, spent_cents=0, cancel_reason="<img src=x onerror=alert(2)>")
        services.post_update(official, tracking, happened_on=local_now().date(), title="<b>titre</b>",
                             body="[lien](javascript:alert(3)) <style>body{}</style>")
    db.session.commit()
    html = client.get(f"/budgets/{cycle.slug}/outcomes").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>titre</b>" not in html
    assert 'href="javascript:' not in html and "<style>body" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html  # the reason is shown, as text


def test_photo_is_served_from_our_origin_with_safe_headers(client, project):
    photo = project.updates[0].photos[0]
    response = client.get(f"/tracking/photos/{photo.token}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] in ("image/png", "image/jpeg")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.data == photo.data
    assert client.get("/tracking/photos/not-a-token").status_code == 404


def test_proposal_page_shows_its_tracking(client, project):
    response = client.get(f"/proposals/{project.proposal_id}", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Carrying out the project" in html and "Plantation des premiers arbres" in html


def test_proposal_tracking_partial_renders_alone(app, project):
    from flask import render_template_string

    with app.test_request_context("/", headers=EN):
        html = render_template_string('{% include "tracking/_proposal_tracking.html" %}', proposal=project.proposal)
        assert "Carrying out the project" in html and "In progress" in html and "Progress: 40%" in html
        other = make_proposal(make_cycle(PhaseKind.IMPLEMENTATION), status=ProposalStatus.SELECTED)
        assert render_template_string('{% include "tracking/_proposal_tracking.html" %}', proposal=other).strip() == ""


# --- staff pages ------------------------------------------------------------------------------------------------


def test_staff_list_shows_each_selected_project_and_opens_tracking(client, db, login_as):
    cycle = make_cycle(PhaseKind.RESULTS)
    proposal = make_proposal(cycle, status=ProposalStatus.SELECTED, title="Un kiosque", city_cost_cents=700_000)
    make_proposal(cycle, status=ProposalStatus.NOT_SELECTED, title="Pas retenu")
    login_as(Role.OFFICIAL, locale="en")
    page = client.get(f"/tracking/cycles/{cycle.slug}", headers=EN).get_data(as_text=True)
    assert "Un kiosque" in page and "Pas retenu" not in page and "Tracking not opened yet" in page
    assert cycle.title_en in client.get("/tracking/", headers=EN).get_data(as_text=True)

    token = csrf_token(client, f"/tracking/cycles/{cycle.slug}")
    response = client.post(f"/tracking/proposals/{proposal.id}/open", data={"csrf_token": token})
    tracking = db.session.scalar(select(ProjectTracking).where(ProjectTracking.proposal_id == proposal.id))
    assert response.status_code == 302 and response.location.endswith(f"/tracking/{tracking.id}")
    assert tracking.planned_budget_cents == 700_000
    edit = client.get(f"/tracking/{tracking.id}", headers=EN).get_data(as_text=True)
    assert 'value="7000"' in edit  # the planned budget, in euros


def test_opening_a_project_that_was_not_selected_is_refused(client, db, login_as):
    cycle = make_cycle(PhaseKind.RESULTS)
    proposal = make_proposal(cycle, status=ProposalStatus.NOT_SELECTED)
    login_as(Role.OFFICIAL, locale="en")
    token = csrf_token(client, "/tracking/")
    response = client.post(f"/tracking/proposals/{proposal.id}/open", data={"csrf_token": token})
    assert response.status_code == 302
    assert count(ProjectTracking) == 0
    assert "Only projects selected" in client.get(response.location, headers=EN).get_data(as_text=True)


def test_opening_without_csrf_is_refused(client, db, login_as):
    proposal = make_proposal(make_cycle(PhaseKind.RESULTS), status=ProposalStatus.SELECTED)
    login_as(Role.OFFICIAL, locale="en")
    assert client.post(f"/tracking/proposals/{proposal.id}/open").status_code == 400
    assert count(ProjectTracking) == 0


def tracking_data(client, tracking, **fields):
    data = {"csrf_token": csrf_token(client, f"/tracking/{tracking.id}"), "status": "in_progress", "progress": "55",
            "planned_budget": "45 000", "spent": "20 000,50", "cancel_reason": ""}
    data.update(fields)
    return data


def test_official_updates_status_progress_and_budget(client, db, project):
    login(client, make_user(Role.OFFICIAL, locale="en"))
    _db.session.commit()
    follower = make_user()
    db.session.add(Follow(proposal_id=project.proposal_id, user_id=follower.id))
    db.session.commit()
    response = client.post(f"/tracking/{project.id}", data=tracking_data(client, project, status="done",
                                                                         progress="80"))
    assert response.status_code == 302
    tracking = db.session.get(ProjectTracking, project.id)
    db.session.refresh(tracking)
    assert (tracking.status, tracking.progress, tracking.planned_budget_cents, tracking.spent_cents) == (
        ProjectStatus.DONE, 100, 4_500_000, 2_000_050)
    db.session.refresh(tracking.proposal)
    assert tracking.proposal.status == ProposalStatus.DONE
    assert db.session.scalar(select(Notification).where(Notification.user_id == follower.id)) is not None


@pytest.mark.parametrize(("fields", "message"), [
    ({"progress": "101"}, "between 0 and 100"),
    ({"progress": "-3"}, "between 0 and 100"),
    ({"progress": "beaucoup"}, None),
    ({"progress": ""}, "Please give the progress"),
    ({"planned_budget": "-10"}, "cannot be negative"),
    ({"planned_budget": "dix euros"}, "amount in euros"),
    ({"planned_budget": ""}, "Please give the planned budget"),
    ({"spent": "12,345"}, "at most two decimals"),
    ({"status": "abandoned"}, None),
    ({"status": "cancelled", "cancel_reason": "  "}, "explain publicly why"),
    ({"cancel_reason": "x" * 2001}, "at most 2000 characters"),
])
def test_bad_tracking_input_answers_422_and_changes_nothing(client, db, project, fields, message):
    login(client, make_user(Role.OFFICIAL, locale="en"))
    db.session.commit()
    audit_before = count(AuditEntry)
    response = client.post(f"/tracking/{project.id}", data=tracking_data(client, project, **fields), headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "error-summary" in html
    if message:
        assert message in html
    tracking = db.session.get(ProjectTracking, project.id)
    db.session.refresh(tracking)
    assert (tracking.status, tracking.progress, tracking.planned_budget_cents, tracking.spent_cents) == (
        ProjectStatus.IN_PROGRESS, 40, 4_500_000, 1_234_500)
    assert count(AuditEntry) == audit_before


def update_data(client, tracking, photos=(), alts=(), **fields):
    data = {"csrf_token": csrf_token(client, f"/tracking/{tracking.id}/updates/new"),
            "happened_on": local_now().date().isoformat(), "title": "Les bancs sont arrivés",
            "body": "Ils sont en *chêne*.", "photo_alt": list(alts)}
    data["photo"] = [(io.BytesIO(content), name) for content, name in photos]
    data.update(fields)
    return data


def test_official_posts_an_update_with_photos_and_followers_are_told(client, db, project):
    login(client, make_user(Role.OFFICIAL, locale="en"))
    follower = make_user()
    db.session.add(Follow(proposal_id=project.proposal_id, user_id=follower.id, by_email=False))
    db.session.commit()
    photos_before = count(TrackingPhoto)
    data = update_data(client, project, photos=[(png_bytes(), "a.png"), (b"", ""), (png_bytes(), "c<script>.png")],
                       alts=["Un banc en chêne", "", "Deux bancs face au parc"])
    response = client.post(f"/tracking/{project.id}/updates/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    update = db.session.scalars(select(TrackingUpdate).order_by(TrackingUpdate.id.desc())).first()
    assert update.title == "Les bancs sont arrivés" and "<em>chêne</em>" in update.body_html
    assert sorted(p.alt for p in update.photos) == ["Deux bancs face au parc", "Un banc en chêne"]
    assert count(TrackingPhoto) == photos_before + 2
    notification = db.session.scalar(select(Notification).where(Notification.user_id == follower.id,
                                                                Notification.kind == "tracking.update"))
    assert "Les bancs sont arrivés" in notification.message


def test_update_form_shows_today_by_default(client, db, project):
    login(client, make_user(Role.OFFICIAL, locale="en"))
    db.session.commit()
    html = client.get(f"/tracking/{project.id}/updates/new", headers=EN).get_data(as_text=True)
    assert f'value="{local_now().date().isoformat()}"' in html
    assert html.count('type="file"') == 3 and 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize(("kind", "message"), [
    ("not-an-image", "not an image we can read"),
    ("svg", "not an image we can read"),
    ("gif", "Only JPEG, PNG and WebP"),
    ("too-many", "at most 3 photos"),
    ("no-alt", "Please describe photo 2"),
    ("no-title", "Please give the update a title."),
    ("long-title", "at most 150 characters"),
    ("bad-date", None),
    ("future", "cannot be in the future"),
])
def test_bad_update_answers_422_and_saves_nothing(client, db, project, kind, message):
    login(client, make_user(Role.OFFICIAL, locale="en"))
    follower = make_user()
    db.session.add(Follow(proposal_id=project.proposal_id, user_id=follower.id))
    db.session.commit()
    before = (count(TrackingUpdate), count(TrackingPhoto), count(Notification), count(AuditEntry))
    photos, alts, fields = [], [], {}
    if kind == "not-an-image":
        photos, alts = [(b"MZ\x90\x00 not an image", "photo.png")], ["Une photo"]
    elif kind == "svg":
        photos, alts = [(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "x.svg")], ["Un dessin"]
    elif kind == "gif":
        gif = io.BytesIO()
        Image.new("RGB", (10, 10)).save(gif, "GIF")
        photos, alts = [(gif.getvalue(), "x.gif")], ["Une image animée"]
    elif kind == "too-many":
        photos = [(png_bytes(), f"{n}.png") for n in range(4)]
        alts = [f"Photo {n}" for n in range(4)]
    elif kind == "no-alt":
        photos, alts = [(png_bytes(), "a.png"), (png_bytes(), "b.png")], ["Une photo", " "]
    elif kind == "no-title":
        fields = {"title": "   "}
    elif kind == "long-title":
        fields = {"title": "t" * 151}
    elif kind == "bad-date":
        fields = {"happened_on": "31/02/2025"}
    elif kind == "future":
        fields = {"happened_on": "2999-01-01"}
    data = update_data(client, project, photos=photos, alts=alts, **fields)
    response = client.post(f"/tracking/{project.id}/updates/new", data=data, content_type="multipart/form-data",
                           headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "error-summary" in html
    if message:
        assert message in html
    assert (count(TrackingUpdate), count(TrackingPhoto), count(Notification), count(AuditEntry)) == before


def test_official_deletes_an_update(client, db, project):
    login(client, make_user(Role.OFFICIAL, locale="en"))
    db.session.commit()
    update = project.updates[0]
    token = csrf_token(client, f"/tracking/{project.id}")
    response = client.post(f"/tracking/updates/{update.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert count(TrackingUpdate) == 0 and count(TrackingPhoto) == 0


# --- the permission table ---------------------------------------------------------------------------------------


def test_permission_function_role_by_role(any_role):
    user = type("U", (), {"is_authenticated": True, "role": any_role})()
    anonymous = type("A", (), {"is_authenticated": False})()
    assert can(user, "manage") is (any_role == Role.OFFICIAL)
    assert can(anonymous, "manage") is False and can(None, "manage") is False
    assert can(user, "view") and can(anonymous, "view")


STAFF_ROUTES = [
    ("GET", "/tracking/"),
    ("GET", "/tracking/cycles/{slug}"),
    ("POST", "/tracking/proposals/{proposal_id}/open"),
    ("GET", "/tracking/{tracking_id}"),
    ("POST", "/tracking/{tracking_id}"),
    ("GET", "/tracking/{tracking_id}/updates/new"),
    ("POST", "/tracking/{tracking_id}/updates/new"),
    ("POST", "/tracking/updates/{update_id}/delete"),
]


def _path(template, project):
    return template.format(slug=project.proposal.cycle.slug, proposal_id=project.proposal_id,
                           tracking_id=project.id, update_id=project.updates[0].id)


@pytest.mark.parametrize(("method", "route"), STAFF_ROUTES)
def test_staff_routes_send_anonymous_visitors_to_sign_in(client, project, method, route):
    data = {"csrf_token": csrf_token(client, "/")} if method == "POST" else None
    response = client.open(_path(route, project), method=method, data=data)
    assert response.status_code == 302 and "/account/login" in response.location


@pytest.mark.parametrize(("method", "route"), STAFF_ROUTES)
def test_staff_routes_role_by_role(client, db, project, login_as, any_role, method, route):
    login_as(any_role)
    path = _path(route, project)
    before = (count(TrackingUpdate), count(ProjectTracking), count(AuditEntry))
    data = {"csrf_token": csrf_token(client, "/")} if method == "POST" else None
    response = client.open(path, method=method, data=data)
    if any_role == Role.OFFICIAL:
        assert response.status_code in ((200,) if method == "GET" else (302, 422))
    else:
        assert response.status_code == 403
    if any_role != Role.OFFICIAL:
        assert (count(TrackingUpdate), count(ProjectTracking), count(AuditEntry)) == before


@pytest.mark.parametrize("path", ["/budgets/{slug}/outcomes", "/tracking/photos/{token}"])
def test_public_routes_are_open_to_every_role(client, project, login_as, any_role, path):
    login_as(any_role)
    url = path.format(slug=project.proposal.cycle.slug, token=project.updates[0].photos[0].token)
    assert client.get(url).status_code == 200


def _fill_cycle(app, cycle, projects: int) -> None:
    with app.test_request_context("/"):
        official = make_user(Role.OFFICIAL)
        for n in range(projects):
            proposal = make_proposal(cycle, status=ProposalStatus.SELECTED, city_cost_cents=100_000 * (n + 1))
            tracking = services.open_tracking(official, proposal)
            for day in range(2):
                services.post_update(official, tracking, happened_on=local_now().date() - timedelta(days=day),
                                     title=f"Étape {day}",
                                     photos=[PhotoUpload(io.BytesIO(png_bytes()), "Une photo du chantier")])


@pytest.mark.parametrize("path", ["/budgets/{slug}/outcomes", "/tracking/cycles/{slug}"])
def test_pages_issue_the_same_number_of_queries_whatever_the_number_of_projects(app, client, db, path):
    from sqlalchemy import event

    small, large = make_cycle(PhaseKind.IMPLEMENTATION), make_cycle(PhaseKind.IMPLEMENTATION)
    _fill_cycle(app, small, 2)
    _fill_cycle(app, large, 12)
    login(client, make_user(Role.OFFICIAL))
    db.session.commit()

    def queries(slug) -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(_db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(path.format(slug=slug)).status_code == 200
        finally:
            event.remove(_db.engine, "before_cursor_execute", listener)
        assert not any("tracking_photo.data" in s for s in statements if "FROM tracking_photo" in s)
        return len(statements)

    assert queries(large.slug) == queries(small.slug) <= 15
