"""The permission table of every review route, role by role, plus anonymous visitors and assigned reviewers."""

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.cycles.models import Cycle, PhaseKind
from app.proposals.models import Proposal, ProposalStatus, ReasonTemplate
from app.review.permissions import can
from tests.conftest import login
from tests.factories import make_cycle, make_district, make_proposal, make_user
from tests.review.conftest import tokens

OFFICIAL_ONLY = {Role.OFFICIAL}
STAFF = {Role.OFFICIAL, Role.MODERATOR}

# name: (method, path template, roles allowed, form data)
ROUTES = {
    "dashboard": ("GET", "/review/", STAFF, None),
    "export": ("GET", "/review/export.csv", STAFF, None),
    "review page": ("GET", "/review/proposals/{p}", STAFF, None),
    "start": ("POST", "/review/proposals/{p}/start", OFFICIAL_ONLY, {}),
    "feasible": ("POST", "/review/proposals/{p}/feasible", OFFICIAL_ONLY,
                 {"feasible-city_cost": "1 000", "feasible-ballot_title": "Titre", "feasible-ballot_summary": ""}),
    "not feasible": ("POST", "/review/proposals/{p}/not-feasible", OFFICIAL_ONLY,
                     {"notfeasible-template": "0", "notfeasible-reason": "Non."}),
    "notes": ("POST", "/review/proposals/{p}/notes", OFFICIAL_ONLY, {"notes-notes": "Note interne"}),
    "assign": ("POST", "/review/proposals/{p}/assign", OFFICIAL_ONLY, {"assign-reviewer": "0"}),
    "merge": ("POST", "/review/proposals/{p}/merge", OFFICIAL_ONLY, {"merge-duplicates": "{d}"}),
    "freeze": ("POST", "/review/cycles/{c}/freeze", OFFICIAL_ONLY, {}),
    "reasons": ("GET", "/review/reasons", OFFICIAL_ONLY, None),
    "add reason": ("POST", "/review/reasons", OFFICIAL_ONLY, {"text_fr": "Nouvelle raison"}),
    "edit reason page": ("GET", "/review/reasons/{t}", OFFICIAL_ONLY, None),
    "edit reason": ("POST", "/review/reasons/{t}", OFFICIAL_ONLY, {"text_fr": "Raison modifiée"}),
    "delete reason": ("POST", "/review/reasons/{t}/delete", OFFICIAL_ONLY, {}),
}


@pytest.fixture
def world(db):
    district = make_district()
    cycle = make_cycle(PhaseKind.REVIEW, districts=[district])
    proposal = make_proposal(cycle, district=district)
    duplicate = make_proposal(cycle, district=district)
    template = ReasonTemplate(text_fr="Raison d'origine")
    db.session.add(template)
    db.session.commit()
    return {"p": proposal.id, "d": duplicate.id, "c": cycle.id, "t": template.id}


def snapshot(db, ids) -> tuple:
    db.session.expire_all()
    proposal = db.session.get(Proposal, ids["p"])
    duplicate = db.session.get(Proposal, ids["d"])
    template = db.session.get(ReasonTemplate, ids["t"])
    return (proposal.status, proposal.city_cost_cents, proposal.staff_notes, proposal.reviewer_id,
            duplicate.status, db.session.get(Cycle, ids["c"]).ballot_frozen_at,
            template.text_fr if template else None,
            db.session.scalar(select(func.count()).select_from(ReasonTemplate)))


def call(client, name, ids):
    method, path, _roles, data = ROUTES[name]
    path = path.format(**ids)
    if method == "GET":
        return client.get(path)
    return client.post(path, data={**tokens(client), **{key: value.format(**ids) for key, value in data.items()}})



@pytest.mark.parametrize("name", list(ROUTES))
def test_review_routes_role_by_role(client, db, login_as, any_role, world, name):
    login_as(any_role)
    before = snapshot(db, world)
    response = call(client, name, world)
    allowed = any_role in ROUTES[name][2]
    if allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:2000]
    else:
        assert response.status_code == 403
        assert snapshot(db, world) == before


@pytest.mark.parametrize("name", list(ROUTES))
def test_review_routes_send_anonymous_visitors_to_login(client, db, world, name):
    before = snapshot(db, world)
    response = call(client, name, world)
    assert response.status_code == 302 and "/account/login" in response.location
    assert snapshot(db, world) == before


REVIEWER_MAY = {"review page", "start", "feasible", "not feasible", "notes", "dashboard", "export"}


@pytest.mark.parametrize("name", list(ROUTES))
@pytest.mark.parametrize("role", [Role.MODERATOR, Role.OFFICIAL])
def test_assigned_reviewer_reviews_the_proposal_assigned_to_them(client, db, world, name, role):
    """An official assigns a moderator (or another official): the assignee reviews that proposal, and only
    what officials alone may do (assign, merge, freeze, reasons) stays closed to a moderator."""
    reviewer = make_user(role)
    db.session.get(Proposal, world["p"]).reviewer_id = reviewer.id
    db.session.commit()
    login(client, reviewer)
    response = call(client, name, world)
    allowed = role == Role.OFFICIAL or name in REVIEWER_MAY
    assert (response.status_code != 403) == allowed, response.status_code


@pytest.mark.parametrize("name", ["start", "feasible", "not feasible", "notes"])
def test_a_moderator_assigned_elsewhere_cannot_review_this_proposal(client, db, world, name):
    moderator = make_user(Role.MODERATOR)
    other = make_proposal(db.session.get(Cycle, world["c"]))
    other.reviewer_id = moderator.id
    db.session.commit()
    login(client, moderator)
    before = snapshot(db, world)
    assert call(client, name, world).status_code == 403
    assert snapshot(db, world) == before


def test_can_with_anonymous_and_missing_proposal(db):
    from flask_login import AnonymousUserMixin

    assert not can(AnonymousUserMixin(), "dashboard")
    assert not can(None, "view")
    moderator = make_user(Role.MODERATOR)
    assert not can(moderator, "review", None)
    assert can(make_user(Role.OFFICIAL), "review", None)


def test_review_link_in_the_menu_only_for_staff(client, db, login_as):
    assert "/review/" not in client.get("/").get_data(as_text=True)
    for role in Role:
        login_as(role)
        html = client.get("/").get_data(as_text=True)
        assert ('href="/review/"' in html) == (role in STAFF), role


def test_drafts_are_not_reviewable(client, db, login_as):
    login_as(Role.OFFICIAL)
    draft = make_proposal(make_cycle(PhaseKind.REVIEW), status=ProposalStatus.DRAFT)
    db.session.commit()
    assert client.get(f"/review/proposals/{draft.id}").status_code == 404
    assert client.get("/review/proposals/999999").status_code == 404
