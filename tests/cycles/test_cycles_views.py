"""Budget cycle pages through the web: the permission table, the admin forms with bad input, the public pages."""

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core import clock
from app.core.clock import as_utc
from app.core.models import AuditEntry
from app.cycles import services
from app.cycles.models import Category, Cycle, District, Envelope, Phase, PhaseKind
from tests.conftest import csrf_token
from tests.factories import make_category, make_cycle, make_district, make_proposal

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 13:00 in Lille (winter time)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def cycle_at(dates: list[tuple[datetime, datetime | None]], **values) -> Cycle:
    """A cycle with explicit phase dates, in PhaseKind order."""
    from app.extensions import db

    cycle = Cycle(slug=values.pop("slug", "budget-fixe"), title_fr=values.pop("title_fr", "Budget à dates fixes"),
                  title_en=values.pop("title_en", "Fixed-date budget"),
                  total_budget_cents=values.pop("total_budget_cents", 100_000_000), **values)
    for kind, (start, end) in zip(PhaseKind, dates, strict=True):
        cycle.phases.append(Phase(kind=kind, starts_at=start, ends_at=end))
    db.session.add(cycle)
    db.session.flush()
    return cycle


def monthly(first: datetime) -> list[tuple[datetime, datetime | None]]:
    dates, start = [], first
    for kind in PhaseKind:
        end = None if kind == PhaseKind.CLOSED else start + timedelta(days=30)
        dates.append((start, end))
        start = start + timedelta(days=30)
    return dates


# --- The permission table ------------------------------------------------------------------------------------------


@pytest.fixture
def targets(db):
    district, category = make_district("Wazemmes"), make_category("Nature")
    cycle = make_cycle(PhaseKind.SUBMISSION, districts=[district])
    db.session.commit()
    return {"cycle": cycle.id, "district": district.id, "category": category.id}


ADMIN_GETS = [
    "/admin/budgets", "/admin/budgets/new", "/admin/budgets/{cycle}/edit", "/admin/budgets/{cycle}/phase",
    "/admin/districts", "/admin/districts/new", "/admin/districts/{district}/edit",
    "/admin/categories", "/admin/categories/new", "/admin/categories/{category}/edit",
]
ADMIN_POSTS = [
    "/admin/budgets/new", "/admin/budgets/{cycle}/edit", "/admin/budgets/{cycle}/phase/close",
    "/admin/budgets/{cycle}/phase/extend", "/admin/districts/new", "/admin/districts/{district}/edit",
    "/admin/districts/{district}/delete", "/admin/categories/new", "/admin/categories/{category}/edit",
    "/admin/categories/{category}/delete",
]


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_admin_pages_by_role(client, login_as, any_role, targets, path):
    login_as(any_role)
    response = client.get(path.format(**targets))
    assert response.status_code == (200 if any_role == Role.OFFICIAL else 403)


@pytest.mark.parametrize("path", ADMIN_GETS + ADMIN_POSTS)
def test_admin_pages_send_anonymous_visitors_to_login(client, targets, path):
    method = client.post if path in ADMIN_POSTS and path not in ADMIN_GETS else client.get
    data = {"csrf_token": csrf_token(client, "/")} if method == client.post else None
    response = method(path.format(**targets), data=data)
    assert response.status_code == 302 and "/account/login" in response.location


@pytest.mark.parametrize("role", [r for r in Role if r != Role.OFFICIAL])
@pytest.mark.parametrize("path", ADMIN_POSTS)
def test_admin_actions_are_refused_to_everyone_but_officials(client, db, login_as, role, targets, path):
    """Officials' actions are tested below, with valid and invalid input."""
    login_as(role)
    before = (count(db, Cycle), count(db, District), count(db, Category), count(db, AuditEntry))
    response = client.post(path.format(**targets), data={"csrf_token": csrf_token(client, "/"), "name": "X",
                                                          "slug": "x-y", "close-reason": "parce que"})
    assert response.status_code == 403
    assert (count(db, Cycle), count(db, District), count(db, Category), count(db, AuditEntry)) == before


def test_staff_links_show_only_to_officials(client, login_as, targets):
    cycle = f"/budgets/{services.get_cycle_by_slug(db_slug(targets)).slug}"
    login_as(Role.MODERATOR, locale="en")
    assert "Edit this cycle" not in client.get(cycle).get_data(as_text=True)
    login_as(Role.OFFICIAL, locale="en")
    html = client.get(cycle).get_data(as_text=True)
    assert "Edit this cycle" in html and "Budget cycles" in client.get("/admin/").get_data(as_text=True)


def db_slug(targets) -> str:
    from app.extensions import db

    return db.session.get(Cycle, targets["cycle"]).slug


# --- Creating and editing a cycle through the form -----------------------------------------------------------------


def form_data(client, districts=(), **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(client, "/admin/budgets/new"),
        "slug": "budget-2026",
        "title_fr": "Budget participatif 2026",
        "title_en": "Participatory budget 2026",
        "title_nl": "",
        "description_fr": "Un **budget** pour les quartiers.",
        "description_en": "",
        "description_nl": "",
        "total_budget": "1 500 000",
        "citywide_envelope": "500 000",
        "support_threshold": "10",
        "submission_starts": "2026-03-01T09:00",
        "submission_ends": "2026-04-01T09:00",
        "review_starts": "2026-04-01T09:00",
        "review_ends": "",
        "voting_starts": "2026-05-01T09:00",
        "voting_ends": "2026-06-01T18:00",
        "results_starts": "2026-06-01T18:00",
        "results_ends": "2026-07-01T00:00",
        "implementation_starts": "2026-07-01T00:00",
        "implementation_ends": "2027-07-01T00:00",
        "closed_starts": "2027-07-01T00:00",
    }
    for district in districts:
        data[f"envelope_{district.id}"] = "250 000,50"
        data[f"voting_{district.id}"] = "y"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_official_creates_a_cycle_through_the_form(client, db, login_as):
    official = login_as(Role.OFFICIAL, locale="en")
    wazemmes, fives, lomme = make_district("Wazemmes"), make_district("Fives"), make_district("Lomme")
    db.session.commit()
    data = form_data(client, [wazemmes, fives], **{f"envelope_{lomme.id}": "", f"voting_{fives.id}": None})
    with mock.patch.object(clock, "_now", return_value=NOW):
        response = client.post("/admin/budgets/new", data=data)
    assert response.status_code == 302 and response.location.endswith("/admin/budgets")
    cycle = services.get_cycle_by_slug("budget-2026")
    assert cycle.total_budget_cents == 150_000_000 and cycle.citywide_envelope_cents == 50_000_000
    assert cycle.support_threshold == 10
    assert {(e.district.name, e.amount_cents, e.has_voting) for e in cycle.envelopes} == {
        ("Wazemmes", 25_000_050, True), ("Fives", 25_000_050, False)}
    # Local time in Lille: 09:00 in March is 08:00 UTC; 09:00 in April (summer time) is 07:00 UTC.
    phases = {PhaseKind(p.kind): p for p in cycle.phases}
    assert as_utc(phases[PhaseKind.SUBMISSION].starts_at) == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert as_utc(phases[PhaseKind.SUBMISSION].ends_at) == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)
    # The empty end of the review phase means "until the vote starts".
    assert as_utc(phases[PhaseKind.REVIEW].ends_at) == as_utc(phases[PhaseKind.VOTING].starts_at)
    assert phases[PhaseKind.CLOSED].ends_at is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cycle.created"))
    assert entry.actor_id == official.id and entry.target_id == str(cycle.id)
    assert "has been saved" in client.get("/admin/budgets").get_data(as_text=True)


def test_the_edit_form_shows_local_times_and_amounts(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    district = make_district("Wazemmes")
    cycle = cycle_at(monthly(datetime(2026, 7, 1, 7, 0, tzinfo=UTC)), citywide_envelope_cents=12_345_678)
    cycle.envelopes.append(Envelope(district=district, amount_cents=100_000_000 - 12_345_678, has_voting=False))
    db.session.commit()
    html = client.get(f"/admin/budgets/{cycle.id}/edit").get_data(as_text=True)
    assert 'value="2026-07-01T09:00"' in html  # 07:00 UTC is 09:00 in Lille in summer
    assert 'value="123456.78"' in html and 'value="876543.22"' in html
    checkbox = html.split(f'name="voting_{district.id}"')[1].split(">")[0]
    assert "checked" not in checkbox  # this envelope has no vote


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slug": ""}, "Please give a short name for the web address."),
        ({"slug": "Budget 2026"}, "Use lower-case letters without accents"),
        ({"title_fr": ""}, "Please give a title in French."),
        ({"title_fr": "x" * 201}, "At most 200 characters."),
        ({"total_budget": ""}, "Please give the total budget."),
        ({"total_budget": "-5"}, "An amount cannot be negative."),
        ({"total_budget": "beaucoup"}, "Please enter an amount in euros"),
        ({"total_budget": "5 000 000 000 000"}, "This amount is too large."),
        ({"citywide_envelope": "2 000 000"}, "more than the total budget"),
        ({"support_threshold": "-1"}, "Please give a number between 0 and 1000000."),
        ({"support_threshold": "beaucoup"}, "Please give a number"),
        ({"voting_starts": ""}, "Please give the start of this phase."),
        ({"voting_starts": "demain"}, "Please enter a date and a time."),
        ({"voting_ends": "2026-05-01T08:00"}, "This phase must end after it starts."),
        ({"results_starts": "2026-05-15T09:00"}, "This phase must start once the previous phase (Vote) has ended."),
        ({"closed_starts": "2020-01-01T00:00"}, "must start once the previous phase"),
    ],
)
def test_bad_cycle_input_changes_nothing(client, db, login_as, fields, message):
    login_as(Role.OFFICIAL, locale="en")
    response = client.post("/admin/budgets/new", data=form_data(client, **fields))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html and 'class="error-summary"' in html
    assert count(db, Cycle) == 0 and count(db, Phase) == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cycle.created")) is None


def test_envelopes_over_the_budget_are_refused(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    districts = [make_district() for _ in range(5)]
    db.session.commit()
    response = client.post("/admin/budgets/new", data=form_data(client, districts))  # 0.5 M + 5 x 0.25 M > 1.5 M
    assert response.status_code == 422
    assert "The envelopes add up to" in response.get_data(as_text=True)
    assert count(db, Cycle) == 0 and count(db, Envelope) == 0


def test_an_envelope_amount_that_cannot_be_read_is_shown_on_its_row(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    district = make_district("Fives")
    db.session.commit()
    response = client.post("/admin/budgets/new", data=form_data(client, [district],
                                                                **{f"envelope_{district.id}": "12,34,5"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="envelope_{district.id}-error"' in html and "Envelope for Fives" in html
    assert count(db, Cycle) == 0


def test_a_taken_slug_is_a_field_error(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    make_cycle()
    db.session.commit()
    taken = db.session.scalars(select(Cycle.slug)).first()
    response = client.post("/admin/budgets/new", data=form_data(client, slug=taken))
    assert response.status_code == 422
    assert "Another budget cycle already uses this address." in response.get_data(as_text=True)
    assert count(db, Cycle) == 1


def test_editing_a_cycle_with_bad_input_keeps_it_as_it_was(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    cycle = make_cycle(PhaseKind.SUBMISSION)
    db.session.commit()
    before = (cycle.title_fr, cycle.total_budget_cents, [(p.kind, p.starts_at, p.ends_at) for p in cycle.phases])
    response = client.post(f"/admin/budgets/{cycle.id}/edit",
                           data=form_data(client, slug=cycle.slug, title_fr="Nouveau titre",
                                          review_starts="2026-03-15T09:00"))
    assert response.status_code == 422
    db.session.expire_all()
    cycle = db.session.get(Cycle, cycle.id)
    assert (cycle.title_fr, cycle.total_budget_cents,
            [(p.kind, p.starts_at, p.ends_at) for p in cycle.phases]) == before


def test_editing_a_cycle(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    cycle = make_cycle(PhaseKind.SUBMISSION)
    db.session.commit()
    with mock.patch.object(clock, "_now", return_value=NOW):
        response = client.post(f"/admin/budgets/{cycle.id}/edit",
                               data=form_data(client, slug="budget-renomme", title_en=""))
    assert response.status_code == 302
    db.session.expire_all()
    cycle = db.session.get(Cycle, cycle.id)
    assert cycle.slug == "budget-renomme" and cycle.total_budget_cents == 150_000_000
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cycle.updated"))
    assert "budget-renomme" in json.loads(entry.details)["changes"]["slug"]
    # Saved without an English title: the official is reminded.
    assert "Consider adding an English title" in client.get("/admin/budgets").get_data(as_text=True)


def test_editing_dates_into_the_vote_needs_a_ready_ballot(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    cycle = make_cycle(PhaseKind.REVIEW)
    db.session.commit()
    voting_now = {"voting_starts": "2026-03-01T09:00", "review_starts": "2026-02-01T09:00",
                  "submission_starts": "2026-01-01T09:00", "submission_ends": "2026-02-01T09:00"}
    with mock.patch.object(clock, "_now", return_value=NOW), \
            mock.patch.object(services, "voting_readiness_check", return_value=lambda c: ["No feasible project."]):
        response = client.post(f"/admin/budgets/{cycle.id}/edit", data=form_data(client, slug=cycle.slug,
                                                                                  **voting_now))
    assert response.status_code == 422
    assert "Voting cannot open yet: No feasible project." in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.phase_of(db.session.get(Cycle, cycle.id)) == PhaseKind.REVIEW


# --- Closing and extending the current phase -----------------------------------------------------------------------


def test_official_closes_the_current_phase_early(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    cycle = make_cycle(PhaseKind.SUBMISSION)
    db.session.commit()
    page = client.get(f"/admin/budgets/{cycle.id}/phase").get_data(as_text=True)
    assert "“Submission of ideas” ends now and “Review by the city” starts now." in page
    response = client.post(f"/admin/budgets/{cycle.id}/phase/close",
                           data={"csrf_token": csrf_token(client, f"/admin/budgets/{cycle.id}/phase"),
                                 "close-reason": "Objectif atteint"})
    assert response.status_code == 302
    db.session.expire_all()
    assert services.phase_of(db.session.get(Cycle, cycle.id)) == PhaseKind.REVIEW
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cycle.phase_closed_early"))
    assert json.loads(entry.details)["reason"] == "Objectif atteint"
    assert "Now open: Review by the city." in client.get(response.location).get_data(as_text=True)


def test_closing_without_a_reason_changes_nothing(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    cycle = make_cycle(PhaseKind.SUBMISSION)
    db.session.commit()
    response = client.post(f"/admin/budgets/{cycle.id}/phase/close",
                           data={"csrf_token": csrf_token(client, "/admin/budgets"), "close-reason": "  "})
    assert response.status_code == 422
    assert "Please give the reason" in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.phase_of(db.session.get(Cycle, cycle.id)) == PhaseKind.SUBMISSION
    assert count(db, AuditEntry) == 0


def test_opening_the_vote_early_is_refused_while_the_ballot_is_not_ready(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    cycle = make_cycle(PhaseKind.REVIEW)
    db.session.commit()
    with mock.patch.object(services, "voting_readiness_check",
                           return_value=lambda c: ["Wazemmes has no feasible project."]):
        response = client.post(f"/admin/budgets/{cycle.id}/phase/close",
                               data={"csrf_token": csrf_token(client, "/admin/budgets"), "close-reason": "Fini"})
    assert response.status_code == 422
    assert "Voting cannot open yet: Wazemmes has no feasible project." in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.phase_of(db.session.get(Cycle, cycle.id)) == PhaseKind.REVIEW


def test_official_extends_the_current_phase(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    cycle = cycle_at(monthly(NOW - timedelta(days=10)))
    db.session.commit()
    with mock.patch.object(clock, "_now", return_value=NOW):
        page = client.get(f"/admin/budgets/{cycle.id}/phase").get_data(as_text=True)
        # The planned end, in local time: 12:00 UTC on 30 March is 14:00 in Lille (summer time since the 29th).
        assert 'value="2026-03-30T14:00"' in page
        response = client.post(f"/admin/budgets/{cycle.id}/phase/extend",
                               data={"csrf_token": csrf_token(client, "/admin/budgets"),
                                     "extend-ends_at": "2026-04-05T18:00", "extend-reason": "Vacances"})
    assert response.status_code == 302
    db.session.expire_all()
    cycle = db.session.get(Cycle, cycle.id)
    submission, review = services.phase_row(cycle, PhaseKind.SUBMISSION), services.phase_row(cycle, PhaseKind.REVIEW)
    assert as_utc(submission.ends_at) == datetime(2026, 4, 5, 16, 0, tzinfo=UTC)
    assert as_utc(review.starts_at) == datetime(2026, 4, 5, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"extend-ends_at": "2026-03-20T13:00"}, "The new end must be later than the planned end."),
        ({"extend-ends_at": "2026-06-01T00:00"}, "This would swallow the next phase (Review by the city) entirely."),
        ({"extend-ends_at": ""}, "Please give the new end."),
        ({"extend-ends_at": "bientôt"}, "Please enter a date and a time."),
        ({"extend-reason": ""}, "Please give the reason"),
    ],
)
def test_bad_extensions_change_nothing(client, db, login_as, fields, message):
    login_as(Role.OFFICIAL, locale="en")
    cycle = cycle_at(monthly(NOW - timedelta(days=10)))
    db.session.commit()
    before = [(p.kind, as_utc(p.starts_at), p.ends_at and as_utc(p.ends_at)) for p in cycle.phases]
    data = {"csrf_token": csrf_token(client, "/admin/budgets"), "extend-ends_at": "2026-04-05T18:00",
            "extend-reason": "Vacances", **fields}
    with mock.patch.object(clock, "_now", return_value=NOW):
        response = client.post(f"/admin/budgets/{cycle.id}/phase/extend", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    cycle = db.session.get(Cycle, cycle.id)
    assert [(p.kind, as_utc(p.starts_at), p.ends_at and as_utc(p.ends_at)) for p in cycle.phases] == before
    assert count(db, AuditEntry) == 0


def test_unknown_cycles_are_404_for_officials(client, login_as):
    login_as(Role.OFFICIAL)
    assert client.get("/admin/budgets/999999/edit").status_code == 404
    assert client.get("/admin/budgets/999999/phase").status_code == 404
    assert client.get("/budgets/pas-de-budget").status_code == 404


# --- Districts and themes ------------------------------------------------------------------------------------------


def test_official_creates_and_edits_a_district(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    token = csrf_token(client, "/admin/districts/new")
    response = client.post("/admin/districts/new", data={"csrf_token": token, "name": "Bois-Blancs",
                                                         "slug": " Bois-Blancs "})
    assert response.status_code == 302
    district = db.session.scalar(select(District).where(District.slug == "bois-blancs"))
    assert district.name == "Bois-Blancs"
    response = client.post(f"/admin/districts/{district.id}/edit",
                           data={"csrf_token": token, "name": "Les Bois-Blancs", "slug": "bois-blancs"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(District, district.id).name == "Les Bois-Blancs"
    assert "Les Bois-Blancs" in client.get("/admin/districts").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Please give the name of the district."),
        ({"slug": ""}, "Please give a short name."),
        ({"slug": "vieux lille"}, "Use lower-case letters without accents"),
        ({"slug": "taken"}, "This short name is already used."),
        ({"name": "x" * 121}, "At most 120 characters."),
    ],
)
def test_bad_district_input_changes_nothing(client, db, login_as, fields, message):
    login_as(Role.OFFICIAL, locale="en")
    db.session.add(District(slug="taken", name="Déjà là"))
    db.session.commit()
    data = {"csrf_token": csrf_token(client, "/admin/districts/new"), "name": "Vieux-Lille", "slug": "vieux-lille",
            **fields}
    response = client.post("/admin/districts/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, District) == 1


def test_deleting_a_district_in_use_is_refused_with_a_clear_message(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    used, with_proposal, free = make_district("Fives"), make_district("Lomme"), make_district("Hellemmes")
    make_proposal(make_cycle(districts=[used]), district=with_proposal)
    db.session.commit()
    token = csrf_token(client, "/admin/districts")
    response = client.post(f"/admin/districts/{used.id}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "Fives has an envelope in a budget cycle, so it cannot be deleted." in response.get_data(as_text=True)
    response = client.post(f"/admin/districts/{with_proposal.id}/delete", data={"csrf_token": token},
                           follow_redirects=True)
    assert "Lomme is the district of 1 proposal, so it cannot be deleted." in response.get_data(as_text=True)
    response = client.post(f"/admin/districts/{free.id}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "has been deleted" in response.get_data(as_text=True)
    assert {d.name for d in db.session.scalars(select(District))} == {"Fives", "Lomme"}
    assert client.post(f"/admin/districts/{used.id}/delete").status_code == 400  # no CSRF token
    # The list offers deletion only where it can succeed.
    page = client.get("/admin/districts").get_data(as_text=True)
    assert f"/admin/districts/{used.id}/delete" not in page and "In use, cannot be deleted" in page


def test_official_creates_a_theme_and_bad_input_changes_nothing(client, db, login_as):
    login_as(Role.OFFICIAL, locale="en")
    token = csrf_token(client, "/admin/categories/new")
    good = {"csrf_token": token, "slug": "nature", "name_fr": "Nature en ville", "name_en": "Nature in the city",
            "name_nl": "", "icon": "🌳", "colour": "#15803D"}
    for fields, message in [({"colour": "green"}, "Please give a colour such as #1d4ed8."),
                            ({"colour": "#12345"}, "Please give a colour such as #1d4ed8."),
                            ({"icon": "abc"}, "The icon must be a single emoji."),
                            ({"icon": "🌳" * 9}, "The icon must be a single emoji."),
                            ({"name_fr": ""}, "Please give the name in French."),
                            ({"slug": "Nature!"}, "Use lower-case letters")]:
        response = client.post("/admin/categories/new", data={**good, **fields})
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True)
    assert count(db, Category) == 0
    assert client.post("/admin/categories/new", data=good).status_code == 302
    category = db.session.scalar(select(Category))
    assert (category.slug, category.colour, category.icon) == ("nature", "#15803d", "🌳")
    html = client.get("/admin/categories").get_data(as_text=True)
    assert 'fill="#15803d"' in html and "Nature in the city" in html
    assert f"/admin/categories/{category.id}/delete" in html
    make_proposal(category=category)
    db.session.commit()
    html = client.get("/admin/categories").get_data(as_text=True)
    assert f"/admin/categories/{category.id}/delete" not in html and "Used by 1 proposal" in html
    response = client.post(f"/admin/categories/{category.id}/delete", data={"csrf_token": token},
                           follow_redirects=True)
    assert "Proposals use the theme Nature in the city, so it cannot be deleted." in response.get_data(as_text=True)
    assert count(db, Category) == 1


# --- Public pages --------------------------------------------------------------------------------------------------


def test_the_cycle_list_shows_open_cycles_before_past_ones(client, db):
    make_cycle(PhaseKind.CLOSED, title="Budget de l'an dernier")
    make_cycle(PhaseKind.VOTING, title="Budget de cette année")
    db.session.commit()
    response = client.get("/budgets", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    main = html.split('id="main"')[1]
    open_part, past_part = main.split("Past budgets")
    assert "Open now" in open_part and "Vote" in open_part and "Closed" in past_part
    assert open_part.count("<h3") == 1 and past_part.count("<h3") == 1


def test_the_cycle_list_without_cycles(client, db):
    html = client.get("/budgets", headers=EN).get_data(as_text=True)
    assert "No participatory budget is open right now." in html and "No past budget yet." in html


def test_the_cycle_page_for_anonymous_visitors(client, db):
    wazemmes, fives = make_district("Wazemmes"), make_district("Fives")
    cycle = cycle_at(monthly(NOW - timedelta(days=10)), citywide_envelope_cents=20_000_000, support_threshold=25,
                     description_en="Our **budget**.\n\n<script>alert(1)</script>[x](javascript:alert(2))")
    cycle.envelopes.append(Envelope(district=wazemmes, amount_cents=30_000_000, has_voting=True))
    cycle.envelopes.append(Envelope(district=fives, amount_cents=25_000_050, has_voting=False))
    db.session.commit()
    with mock.patch.object(clock, "_now", return_value=NOW):
        response = client.get("/budgets/budget-fixe", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1 and "Fixed-date budget" in html
    assert "<strong>budget</strong>" in html and "<script>alert" not in html and 'href="javascript:' not in html
    for amount in ("1,000,000", "200,000", "300,000"):
        assert f"<td class=\"amount\">{amount}\xa0€</td>" in html
    assert "250,000.50" in html
    assert "25 supports for a proposal to go to review" in html
    # Timeline with local dates: submission started on 28 February at 13:00 in Lille (12:00 UTC).
    assert '<li class="timeline-step timeline-current" aria-current="step">' in html
    assert "28 February 2026, 13:00" in html
    current = html.split('aria-current="step"')[1].split("</li>")[0]
    assert "Submission of ideas" in current
    assert "Propose a project for your district or for the whole city." in html
    assert "Vote for the projects" not in html
    assert "Edit this cycle" not in html


EN_LABELS = {None: "Not started yet", PhaseKind.SUBMISSION: "Submission of ideas",
             PhaseKind.REVIEW: "Review by the city", PhaseKind.VOTING: "Vote", PhaseKind.RESULTS: "Results",
             PhaseKind.IMPLEMENTATION: "Carrying out the projects", PhaseKind.CLOSED: "Closed"}


@pytest.mark.parametrize(
    ("days_since_start", "phase", "can_do", "cannot_do"),
    [
        (-5, None, "It opens on", "Propose a project for your district"),
        (10, PhaseKind.SUBMISSION, "Support the proposals you like.", "Vote for the projects"),
        (40, PhaseKind.REVIEW, "checking each proposal", "Propose a project for your district"),
        (70, PhaseKind.VOTING, "Vote for the projects you want the city to carry out.", "Support the proposals"),
        (100, PhaseKind.RESULTS, "See the results", "Vote for the projects"),
        (130, PhaseKind.IMPLEMENTATION, "See the results", "Support the proposals"),
        (400, PhaseKind.CLOSED, "This budget cycle is over.", "Vote for the projects"),
    ],
)
def test_the_current_phase_follows_the_clock(client, db, days_since_start, phase, can_do, cannot_do):
    cycle_at(monthly(NOW - timedelta(days=days_since_start)))
    db.session.commit()
    with mock.patch.object(clock, "_now", return_value=NOW):
        html = client.get("/budgets/budget-fixe", headers=EN).get_data(as_text=True)
        home = client.get("/", headers=EN).get_data(as_text=True)
    badge = html.split('class="phase-badge')[1].split("</span>")[0]
    assert badge.endswith(EN_LABELS[phase])
    assert can_do in html and cannot_do not in html
    # The home page lists the cycle while it is open (started and not closed), with its card.
    listed = 'href="/budgets/budget-fixe"' in home
    assert listed == (phase not in (None, PhaseKind.CLOSED))


def test_the_home_page_card(client, db):
    cycle_at(monthly(NOW - timedelta(days=40)), total_budget_cents=250_000_000)
    db.session.commit()
    with mock.patch.object(clock, "_now", return_value=NOW):
        html = client.get("/", headers=EN).get_data(as_text=True)
    card = html.split('<h3 class="cycle-card-title">')[1].split("</dl>")[0]
    assert '<a href="/budgets/budget-fixe">Fixed-date budget</a>' in card
    assert "<dd>Review by the city</dd>" in card and "2,500,000\xa0€" in card
    # The review phase: from 28 February 2026 12:00 UTC (13:00 in Lille) to 30 March (14:00, summer time).
    assert "From <time" in card and "28 February 2026, 13:00" in card and "30 March 2026, 14:00" in card


def test_the_proposal_links_are_optional(client, db, app):
    """The links to the proposals feature appear when its endpoints exist, and the page renders without them."""
    from app.cycles import views

    cycle_at(monthly(NOW - timedelta(days=10)))
    db.session.commit()
    with app.test_request_context():
        assert views.optional_url("cycles.show", slug="x") == "/budgets/x"
        assert views.optional_url("no_such.endpoint", cycle="x") is None
        expected_new = views.optional_url("proposals.new", cycle="budget-fixe")
        expected_index = views.optional_url("proposals.index", cycle="budget-fixe")
    with mock.patch.object(clock, "_now", return_value=NOW):
        html = client.get("/budgets/budget-fixe", headers=EN).get_data(as_text=True)
    for url in (expected_new, expected_index):
        assert url is None or f'href="{url}"' in html

    real = views.optional_url
    without_proposals = lambda endpoint, **values: None if endpoint.startswith("proposals.") else real(  # noqa: E731
        endpoint, **values)
    with mock.patch.object(views, "optional_url", side_effect=without_proposals), \
            mock.patch.object(clock, "_now", return_value=NOW):
        response = client.get("/budgets/budget-fixe", headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Propose a project for your district" in html
    now_section = html.split('id="now-heading"')[1].split("</section>")[0]
    assert "See the proposals" not in now_section and 'href="/proposals' not in now_section


def test_the_main_menu_links_to_the_budgets(client, db):
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert '<a href="/budgets">Budgets</a>' in html
