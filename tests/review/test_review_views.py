"""The review through the web: dashboard, review page and its forms (with bad input), CSV export, reasons, freeze,
and what the public sees (never the staff notes)."""

import csv
import io

import pytest
from flask import render_template
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core import clock
from app.core.models import AuditEntry
from app.cycles.models import Cycle, PhaseKind
from app.proposals.models import BallotItem, Follow, Proposal, ProposalStatus, ReasonTemplate, StatusChange
from tests.factories import make_category, make_cycle, make_district, make_proposal, make_user
from tests.review.conftest import post

S = ProposalStatus
EN = {"Accept-Language": "en"}


def reload(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def state(db, proposal_id) -> tuple:
    p = reload(db, Proposal, proposal_id)
    return (p.status, p.city_cost_cents, p.ballot_title, p.ballot_summary, p.public_reason, p.staff_notes,
            p.reviewer_id, p.merged_into_id,
            db.session.scalar(select(func.count()).select_from(StatusChange).where(StatusChange.proposal_id == p.id)))


@pytest.fixture
def setting(db):
    district = make_district("Wazemmes")
    category = make_category("Mobilité")
    cycle = make_cycle(PhaseKind.REVIEW, districts=[district])
    db.session.commit()
    return cycle, district, category


@pytest.fixture
def official(login_as):
    return login_as(Role.OFFICIAL, locale="en", display_name="Agnès Officielle")


# --- Dashboard -------------------------------------------------------------------------------------------------------

def test_dashboard_counts_and_waiting_list(client, db, setting, official):
    cycle, district, category = setting
    make_proposal(cycle, district=district, category=category, title="Abri vélo Wazemmes")
    make_proposal(cycle, status=S.UNDER_REVIEW, title="Bancs centre-ville")
    make_proposal(cycle, district=district, status=S.FEASIBLE, city_cost_cents=100_00, title="Déjà faisable")
    make_proposal(cycle, status=S.DRAFT, title="Brouillon secret")
    db.session.commit()
    response = client.get("/review/", headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<h1>") == 1
    assert "Abri vélo Wazemmes" in html and "Bancs centre-ville" in html
    assert "Déjà faisable" not in html  # not waiting
    assert "Brouillon secret" not in html
    assert "2 proposals" in html
    assert "Wazemmes" in html and "City-wide" in html
    assert "No feasible city-wide project yet." in html  # readiness shown


def test_dashboard_filters(client, db, setting, official):
    cycle, district, category = setting
    other_cycle = make_cycle(PhaseKind.REVIEW)
    local = make_proposal(cycle, district=district, category=category, title="Local et thème")
    citywide = make_proposal(cycle, title="Pour toute la ville")
    feasible = make_proposal(cycle, status=S.FEASIBLE, city_cost_cents=1, title="Faisable ici")
    mine = make_proposal(cycle, title="À moi", reviewer_id=official.id)
    elsewhere = make_proposal(other_cycle, title="Autre cycle")
    db.session.commit()

    def titles(query):
        html = client.get(f"/review/?cycle={cycle.id}&{query}", headers=EN).get_data(as_text=True)
        return {p.title for p in (local, citywide, feasible, mine, elsewhere) if p.title in html}

    assert titles("") == {"Local et thème", "Pour toute la ville", "À moi"}
    assert titles(f"district={district.id}") == {"Local et thème"}
    assert titles("district=citywide") == {"Pour toute la ville", "À moi"}
    assert titles(f"category={category.id}") == {"Local et thème"}
    assert titles("status=feasible") == {"Faisable ici"}
    assert titles("status=all") == {"Local et thème", "Pour toute la ville", "Faisable ici", "À moi"}
    assert titles("mine=y") == {"À moi"}
    html = client.get(f"/review/?cycle={other_cycle.id}", headers=EN).get_data(as_text=True)
    assert "Autre cycle" in html and "Local et thème" not in html


@pytest.mark.parametrize("query", ["cycle=999999", "cycle=abc", "district=999999", "category=abc",
                                   "status=emperor", "page=abc"])
def test_dashboard_bad_filters_are_reported_not_fatal(client, db, setting, official, query):
    response = client.get(f"/review/?{query}", headers=EN)
    assert response.status_code == (200 if query == "page=abc" else 422)


def test_dashboard_pagination(client, db, setting, official):
    cycle = setting[0]
    for n in range(30):
        make_proposal(cycle, title=f"Idée numéro {n:02d}")
    db.session.commit()
    first = client.get(f"/review/?cycle={cycle.id}", headers=EN).get_data(as_text=True)
    second = client.get(f"/review/?cycle={cycle.id}&page=2", headers=EN).get_data(as_text=True)
    assert "Idée numéro 00" in first and "Idée numéro 29" not in first
    assert "Idée numéro 29" in second and "Idée numéro 00" not in second
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_dashboard_defaults_to_the_cycle_in_review(client, db, official):
    review = make_cycle(PhaseKind.REVIEW, title="En revue")
    make_cycle(PhaseKind.SUBMISSION, title="Plus récent")
    make_proposal(review, title="À examiner")
    db.session.commit()
    assert "À examiner" in client.get("/review/", headers=EN).get_data(as_text=True)


def test_dashboard_without_any_cycle(client, db, official):
    response = client.get("/review/", headers=EN)
    assert response.status_code == 200 and "0 proposals" in response.get_data(as_text=True)


# --- Review page and decisions ---------------------------------------------------------------------------------------

def test_review_page_shows_defaults_and_staff_notes(client, db, setting, official):
    cycle = setting[0]
    proposal = make_proposal(cycle, title="Des arbres rue Solférino", body="Planter **dix** arbres.",
                             staff_notes="Budget voirie 2027")
    db.session.commit()
    html = client.get(f"/review/proposals/{proposal.id}", headers=EN).get_data(as_text=True)
    assert html.count("<h1>") == 1
    assert 'value="Des arbres rue Solférino"' in html  # ballot title defaults to the title
    assert "Planter dix arbres." in html  # summary defaults to an excerpt
    assert "Budget voirie 2027" in html
    assert "<strong>dix</strong>" in html


def test_start_review_through_the_form(client, db, setting, official):
    proposal = make_proposal(setting[0])
    db.session.commit()
    response = post(client, f"/review/proposals/{proposal.id}/start")
    assert response.status_code == 302
    assert reload(db, Proposal, proposal.id).status == S.UNDER_REVIEW


def test_feasible_through_the_form(client, db, setting, official):
    proposal = make_proposal(setting[0], status=S.UNDER_REVIEW)
    db.session.commit()
    response = post(client, f"/review/proposals/{proposal.id}/feasible", {
        "feasible-city_cost": "12 500,50", "feasible-ballot_title": "Un abri vélo",
        "feasible-ballot_summary": "Couvert, 20 places."})
    assert response.status_code == 302
    p = reload(db, Proposal, proposal.id)
    assert (p.status, p.city_cost_cents, p.ballot_title, p.ballot_summary) == (
        S.FEASIBLE, 12_500_50, "Un abri vélo", "Couvert, 20 places.")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"feasible-city_cost": ""}, "Please enter the city's cost estimate."),
        ({"feasible-city_cost": "abc"}, "Please enter an amount in euros"),
        ({"feasible-city_cost": "12.345"}, "at most two decimals"),
        ({"feasible-city_cost": "-5"}, "An amount cannot be negative."),
        ({"feasible-city_cost": "0"}, "The cost must be more than 0"),
        ({"feasible-city_cost": "9" * 13}, "This amount is too large."),
        ({"feasible-city_cost": "2000000000"}, "This amount is too large."),
        ({"feasible-ballot_title": ""}, "Please enter the title shown on the ballot."),
        ({"feasible-ballot_title": "T" * 151}, "at most 150 characters"),
        ({"feasible-ballot_summary": "S" * 501}, "at most 500 characters"),
    ],
)
def test_feasible_bad_input_changes_nothing(client, db, setting, login_as, fields, message):
    login_as(Role.OFFICIAL, locale="en")
    proposal = make_proposal(setting[0], status=S.UNDER_REVIEW)
    db.session.commit()
    before = state(db, proposal.id)
    data = {"feasible-city_cost": "1000", "feasible-ballot_title": "Titre", "feasible-ballot_summary": ""}
    response = post(client, f"/review/proposals/{proposal.id}/feasible", {**data, **fields})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html.replace("&#39;", "'")
    assert 'aria-invalid="true"' in html
    assert state(db, proposal.id) == before


def test_feasible_refused_below_threshold_with_a_clear_message(client, db, official):
    cycle = make_cycle(PhaseKind.REVIEW, support_threshold=50)
    proposal = make_proposal(cycle, supports_count=3)
    db.session.commit()
    before = state(db, proposal.id)
    response = post(client, f"/review/proposals/{proposal.id}/feasible", {
        "feasible-city_cost": "1000", "feasible-ballot_title": "Titre", "feasible-ballot_summary": ""})
    assert response.status_code == 422
    assert "fewer than the 50 this cycle requires" in response.get_data(as_text=True)
    assert state(db, proposal.id) == before
    response = post(client, f"/review/proposals/{proposal.id}/not-feasible", {
        "notfeasible-template": "0", "notfeasible-reason": "Pas assez de soutiens."})
    assert response.status_code == 302
    assert reload(db, Proposal, proposal.id).status == S.NOT_FEASIBLE


@pytest.mark.parametrize("phase", [PhaseKind.SUBMISSION, PhaseKind.VOTING])
def test_decisions_refused_outside_the_review_phase(client, db, official, phase):
    proposal = make_proposal(make_cycle(phase))
    db.session.commit()
    before = state(db, proposal.id)
    page = client.get(f"/review/proposals/{proposal.id}", headers=EN)
    assert page.status_code == 200 and "Review decisions are taken during the review phase" in page.get_data(
        as_text=True)
    for path, data in [("start", {}),
                       ("feasible", {"feasible-city_cost": "1", "feasible-ballot_title": "T"}),
                       ("not-feasible", {"notfeasible-template": "0", "notfeasible-reason": "Non."})]:
        response = post(client, f"/review/proposals/{proposal.id}/{path}", data)
        assert response.status_code == 422
        assert "review phase" in response.get_data(as_text=True)
    assert state(db, proposal.id) == before


def test_not_feasible_with_a_template_through_the_form(client, db, setting, official):
    template = ReasonTemplate(text_fr="Ce n'est pas une compétence de la ville.", text_en="Not the city's job.")
    db.session.add(template)
    proposal = make_proposal(setting[0], status=S.UNDER_REVIEW)
    db.session.commit()
    html = client.get(f"/review/proposals/{proposal.id}", headers=EN).get_data(as_text=True)
    assert "Not the city&#39;s job." in html  # the choice is shown in the reviewer's language
    response = post(client, f"/review/proposals/{proposal.id}/not-feasible", {
        "notfeasible-template": str(template.id), "notfeasible-reason": ""})
    assert response.status_code == 302
    p = reload(db, Proposal, proposal.id)
    assert p.status == S.NOT_FEASIBLE and p.public_reason == "Ce n'est pas une compétence de la ville."
    assert p.history[-1].reason == p.public_reason


@pytest.mark.parametrize(
    "fields",
    [{"notfeasible-template": "0", "notfeasible-reason": ""},
     {"notfeasible-template": "0", "notfeasible-reason": "   "},
     {"notfeasible-template": "999999", "notfeasible-reason": "Non."},
     {"notfeasible-template": "abc", "notfeasible-reason": "Non."},
     {"notfeasible-template": "0", "notfeasible-reason": "x" * 2001}],
)
def test_not_feasible_bad_input_changes_nothing(client, db, setting, official, fields):
    proposal = make_proposal(setting[0], status=S.UNDER_REVIEW)
    db.session.commit()
    before = state(db, proposal.id)
    response = post(client, f"/review/proposals/{proposal.id}/not-feasible", fields)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert state(db, proposal.id) == before


def test_staff_notes_through_the_form(client, db, official):
    proposal = make_proposal(make_cycle(PhaseKind.VOTING), status=S.FEASIBLE, city_cost_cents=1)
    db.session.commit()
    assert post(client, f"/review/proposals/{proposal.id}/notes", {"notes-notes": "Appeler M. Durand"}
                ).status_code == 302
    assert reload(db, Proposal, proposal.id).staff_notes == "Appeler M. Durand"
    before = state(db, proposal.id)
    response = post(client, f"/review/proposals/{proposal.id}/notes", {"notes-notes": "x" * 10_001})
    assert response.status_code == 422
    assert state(db, proposal.id) == before


def test_assign_a_reviewer_through_the_form(client, db, setting, official):
    proposal = make_proposal(setting[0])
    moderator = make_user(Role.MODERATOR, display_name="Karim")
    resident = make_user(Role.RESIDENT, display_name="Rita")
    db.session.commit()
    html = client.get(f"/review/proposals/{proposal.id}", headers=EN).get_data(as_text=True)
    assert "Karim (moderator)" in html and "Rita" not in html
    assert post(client, f"/review/proposals/{proposal.id}/assign", {"assign-reviewer": str(moderator.id)}
                ).status_code == 302
    assert reload(db, Proposal, proposal.id).reviewer_id == moderator.id
    for bad in (str(resident.id), "999999", "abc"):
        before = state(db, proposal.id)
        assert post(client, f"/review/proposals/{proposal.id}/assign", {"assign-reviewer": bad}).status_code == 422
        assert state(db, proposal.id) == before
    assert post(client, f"/review/proposals/{proposal.id}/assign", {"assign-reviewer": "0"}).status_code == 302
    assert reload(db, Proposal, proposal.id).reviewer_id is None


def test_merge_through_the_form(client, db, setting, official):
    cycle = setting[0]
    target = make_proposal(cycle, title="Cible")
    first, second = make_proposal(cycle, title="Doublon un"), make_proposal(cycle, title="Doublon deux")
    db.session.commit()
    html = client.get(f"/review/proposals/{target.id}", headers=EN).get_data(as_text=True)
    assert "Doublon un" in html  # similar proposals are suggested
    response = post(client, f"/review/proposals/{target.id}/merge", {"merge-duplicates": f"{first.id}, #{second.id}"})
    assert response.status_code == 302
    for duplicate in (first, second):
        p = reload(db, Proposal, duplicate.id)
        assert p.status == S.MERGED and p.merged_into_id == target.id
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "proposal.merged")) == 1


def test_merge_bad_input_changes_nothing(client, db, setting, official):
    cycle = setting[0]
    target, duplicate = make_proposal(cycle), make_proposal(cycle)
    elsewhere = make_proposal(make_cycle(PhaseKind.REVIEW))
    db.session.commit()
    cases = {
        "": "Please give at least one proposal to merge.",
        "abc": "Please give proposal numbers",
        str(target.id): "cannot be merged into itself",
        "999999": "There is no proposal no. 999999.",
        str(elsewhere.id): "belongs to another cycle",
        f"{duplicate.id}, {duplicate.id}": "is given twice",
    }
    for value, message in cases.items():
        before = state(db, target.id), state(db, duplicate.id), state(db, elsewhere.id)
        response = post(client, f"/review/proposals/{target.id}/merge", {"merge-duplicates": value})
        assert response.status_code == 422, value
        assert message in response.get_data(as_text=True), value
        assert (state(db, target.id), state(db, duplicate.id), state(db, elsewhere.id)) == before


def test_review_actions_after_the_freeze_are_refused_with_a_message(client, db, setting, official):
    cycle = setting[0]
    proposal = make_proposal(cycle, status=S.FEASIBLE, city_cost_cents=100_00, ballot_title="Figé")
    duplicate = make_proposal(cycle)
    db.session.get(Cycle, cycle.id).ballot_frozen_at = clock.utcnow()
    db.session.commit()
    before = state(db, proposal.id)
    page = client.get(f"/review/proposals/{proposal.id}", headers=EN).get_data(as_text=True)
    assert "The ballot of this cycle is frozen" in page
    for path, data in [("feasible", {"feasible-city_cost": "5", "feasible-ballot_title": "Autre"}),
                       ("not-feasible", {"notfeasible-template": "0", "notfeasible-reason": "Non."}),
                       ("merge", {"merge-duplicates": str(duplicate.id)})]:
        response = post(client, f"/review/proposals/{proposal.id}/{path}", data)
        assert response.status_code == 422
        assert "projects, costs and ballot texts can no longer change" in response.get_data(as_text=True), path
    assert state(db, proposal.id) == before
    assert reload(db, Proposal, duplicate.id).status == S.SUBMITTED
    # A proposal not on the ballot can still be closed as not feasible, but not put on the ballot.
    page = client.get(f"/review/proposals/{duplicate.id}", headers=EN).get_data(as_text=True)
    assert 'name="notfeasible-reason"' in page and 'name="feasible-city_cost"' not in page
    assert post(client, f"/review/proposals/{duplicate.id}/not-feasible", {
        "notfeasible-template": "0", "notfeasible-reason": "Trop tard."}).status_code == 302
    assert reload(db, Proposal, duplicate.id).status == S.NOT_FEASIBLE


# --- Freeze from the dashboard ---------------------------------------------------------------------------------------

def test_freeze_button_refuses_when_not_ready_then_freezes(client, db, setting, official):
    cycle, district, _category = setting
    response = post(client, f"/review/cycles/{cycle.id}/freeze")
    assert response.status_code == 302
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "The ballot cannot be frozen yet." in page and "No feasible project yet for the district Wazemmes." in page
    assert reload(db, Cycle, cycle.id).ballot_frozen_at is None
    make_proposal(db.session.get(Cycle, cycle.id), district=district, status=S.FEASIBLE, city_cost_cents=1_00)
    make_proposal(db.session.get(Cycle, cycle.id), status=S.FEASIBLE, city_cost_cents=2_00)
    db.session.commit()
    assert post(client, f"/review/cycles/{cycle.id}/freeze").status_code == 302
    assert reload(db, Cycle, cycle.id).ballot_frozen_at is not None
    assert db.session.scalar(select(func.count()).select_from(BallotItem)) == 2
    again = post(client, f"/review/cycles/{cycle.id}/freeze")
    assert "already frozen" in client.get(again.location, headers=EN).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BallotItem)) == 2
    assert "The ballot was frozen on" in client.get(f"/review/?cycle={cycle.id}", headers=EN).get_data(as_text=True)


def test_freeze_without_csrf_is_refused(client, db, setting, official):
    cycle = setting[0]
    assert client.post(f"/review/cycles/{cycle.id}/freeze").status_code == 400
    assert reload(db, Cycle, cycle.id).ballot_frozen_at is None


# --- Reason templates ------------------------------------------------------------------------------------------------

def test_reason_templates_through_the_pages(client, db, official):
    response = post(client, "/review/reasons", {"text_fr": "Trop cher.", "text_en": "Too expensive.",
                                               "text_nl": ""})
    assert response.status_code == 302
    template = db.session.scalar(select(ReasonTemplate))
    assert (template.text_fr, template.text_en) == ("Trop cher.", "Too expensive.")
    assert post(client, f"/review/reasons/{template.id}", {"text_fr": "Bien trop cher.", "text_en": "",
                                                           "text_nl": "Te duur."}).status_code == 302
    template = reload(db, ReasonTemplate, template.id)
    assert (template.text_fr, template.text_en, template.text_nl) == ("Bien trop cher.", "", "Te duur.")
    assert "Bien trop cher." in client.get("/review/reasons", headers=EN).get_data(as_text=True)
    assert post(client, f"/review/reasons/{template.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ReasonTemplate)) == 0


@pytest.mark.parametrize("fields", [{"text_fr": ""}, {"text_fr": "   "}, {"text_fr": "x" * 501},
                                    {"text_fr": "ok", "text_en": "y" * 501}])
def test_reason_template_bad_input_changes_nothing(client, db, official, fields):
    existing = ReasonTemplate(text_fr="Déjà là")
    db.session.add(existing)
    db.session.commit()
    assert post(client, "/review/reasons", fields).status_code == 422
    assert post(client, f"/review/reasons/{existing.id}", fields).status_code == 422
    assert [t.text_fr for t in db.session.scalars(select(ReasonTemplate))] == ["Déjà là"]


def test_deleting_a_template_keeps_the_reasons_given(client, db, setting, official):
    template = ReasonTemplate(text_fr="Hors compétence.")
    db.session.add(template)
    proposal = make_proposal(setting[0], status=S.UNDER_REVIEW)
    db.session.commit()
    post(client, f"/review/proposals/{proposal.id}/not-feasible", {"notfeasible-template": str(template.id)})
    post(client, f"/review/reasons/{template.id}/delete")
    assert reload(db, Proposal, proposal.id).public_reason == "Hors compétence."


# --- CSV export ------------------------------------------------------------------------------------------------------

def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_export_has_staff_columns_no_emails_and_neutralised_cells(client, db, setting, official):
    cycle, district, _category = setting
    author = make_user(email="auteur.secret@example.org", display_name="=HYPERLINK(\"http://evil\")")
    make_proposal(cycle, author=author, district=district, title="=1+1", staff_notes="@SUM(A1) à vérifier",
                  estimated_cost_cents=1_500_50, status=S.UNDER_REVIEW)
    make_proposal(cycle, title="-2 arbres", status=S.SUBMITTED, body="+33 6 00 00 00 00")
    make_proposal(cycle, title="Pas dans la liste", status=S.FEASIBLE, city_cost_cents=2_000_00)
    db.session.commit()
    response = client.get(f"/review/export.csv?cycle={cycle.id}", headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    assert "@" not in text.replace("'@SUM", "")  # no email address anywhere
    assert "auteur.secret" not in text
    header, *rows = read_csv(response)
    assert "Staff notes" in header and "City cost (€)" in header and "Author" in header
    assert len(rows) == 2  # the filtered list: waiting proposals only
    by_title = {row[header.index("Title")]: row for row in rows}
    first = by_title["'=1+1"]
    assert first[header.index("Staff notes")] == "'@SUM(A1) à vérifier"
    assert first[header.index("Author")] == "'=HYPERLINK(\"http://evil\")"
    assert first[header.index("Resident's estimate (€)")] == "1500.50"
    assert first[header.index("District")] == "Wazemmes"
    assert "'-2 arbres" in by_title
    assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "review.exported")) == \
        '{"rows": 2}'


def test_csv_export_follows_the_filters(client, db, setting, official):
    cycle = setting[0]
    make_proposal(cycle, title="Faisable", status=S.FEASIBLE, city_cost_cents=2_000_00, ballot_title="Au vote")
    make_proposal(cycle, title="En attente")
    db.session.commit()
    header, *rows = read_csv(client.get(f"/review/export.csv?cycle={cycle.id}&status=feasible", headers=EN))
    assert [row[header.index("Title")] for row in rows] == ["Faisable"]
    assert rows[0][header.index("City cost (€)")] == "2000.00"
    assert rows[0][header.index("Ballot title")] == "Au vote"


# --- What the public sees --------------------------------------------------------------------------------------------

SECRET = "NOTE-INTERNE-7f3a"


def public_paths(app, proposal, cycle) -> list[str]:
    """Every GET page of the application we can build for this proposal and cycle (staff pages answer 403)."""
    values = {"proposal_id": proposal.id, "slug": cycle.slug}
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or not set(rule.arguments) <= set(values):
            continue
        paths.append(rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1])
    return paths


@pytest.mark.parametrize("status", [S.SUBMITTED, S.UNDER_REVIEW, S.FEASIBLE, S.NOT_FEASIBLE, S.MERGED])
def test_staff_notes_never_appear_on_public_pages(app, client, db, setting, status):
    cycle, district, _category = setting
    target = make_proposal(cycle, title="Projet cible", staff_notes=SECRET + "-cible")
    proposal = make_proposal(cycle, district=district, status=status, staff_notes=SECRET,
                             city_cost_cents=1_000_00 if status == S.FEASIBLE else None,
                             public_reason="Raison publique" if status == S.NOT_FEASIBLE else "",
                             merged_into_id=target.id if status == S.MERGED else None)
    db.session.add(Follow(proposal_id=proposal.id, user_id=proposal.author_id))
    db.session.commit()
    paths = public_paths(app, proposal, cycle)
    assert f"/proposals/{proposal.id}" in paths and "/proposals/" in paths
    from tests.conftest import login

    for who in (None, proposal.author, make_user(Role.AGENT), make_user(Role.TEACHER)):
        if who is not None:
            db.session.commit()
            login(client, who)
        seen = 0
        for path in paths:
            response = client.get(path)
            if response.status_code == 200:
                seen += 1
                assert SECRET not in response.get_data(as_text=True), (who, path)
        assert seen >= 5


def test_public_partial_on_the_proposal_page(client, db, setting):
    cycle, district, _category = setting
    feasible = make_proposal(cycle, district=district, status=S.FEASIBLE, city_cost_cents=12_000_00,
                             title="Titre du résident", ballot_title="Titre au bulletin",
                             ballot_summary="Résumé au bulletin", staff_notes=SECRET)
    refused = make_proposal(cycle, status=S.NOT_FEASIBLE, public_reason="Première ligne.\nDeuxième <b>ligne</b>.")
    merged = make_proposal(cycle, status=S.MERGED, merged_into_id=feasible.id)
    db.session.commit()
    html = client.get(f"/proposals/{feasible.id}", headers=EN).get_data(as_text=True)
    assert "Titre au bulletin" in html and "Résumé au bulletin" in html and "12,000" in html
    html = client.get(f"/proposals/{refused.id}", headers=EN).get_data(as_text=True)
    assert "<p>Première ligne.</p>" in html and "Deuxième &lt;b&gt;ligne&lt;/b&gt;." in html
    html = client.get(f"/proposals/{merged.id}", headers=EN).get_data(as_text=True)
    assert f'merged into <a href="/proposals/{feasible.id}">Titre au bulletin</a>' in html


def test_public_partial_renders_without_the_proposal_page(app, db, setting, monkeypatch):
    """The partial's link helper answers None when the public page does not exist: plain text, no error."""
    from werkzeug.routing import BuildError

    import app.review.views as review_views

    cycle = setting[0]
    target = make_proposal(cycle, title="<script>alert(1)</script>")
    merged = make_proposal(cycle, status=S.MERGED, merged_into_id=target.id)
    db.session.commit()

    def missing(*args, **kwargs):
        raise BuildError("proposals.show", {}, "GET")

    monkeypatch.setattr(review_views, "url_for", missing)
    with app.test_request_context("/", headers=EN):
        html = render_template("review/_public_review.html", proposal=merged)
    assert "merged into “&lt;script&gt;alert(1)&lt;/script&gt;”" in html
    assert "<a " not in html and "<script>" not in html
