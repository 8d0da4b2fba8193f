"""Schools pages: every role against every route, the teacher's and the pupil's paths, bad input."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.cycles.models import PhaseKind
from app.proposals.models import Proposal
from app.schools import services
from app.schools.models import (
    Moderation,
    PriceItem,
    Pupil,
    PupilComment,
    PupilIdea,
    School,
    SchoolClass,
    SchoolTeacher,
)
from tests.conftest import csrf_token, login
from tests.factories import make_cycle, make_user
from tests.schools.conftest import approved_idea, make_class, make_teacher, to_phase

FR = {"Accept-Language": "fr"}


@pytest.fixture
def world(db):
    """A class with cards, a waiting idea, an approved idea with a waiting comment; a second school's class."""
    klass, teacher, cards = make_class(cards=3)
    approved = approved_idea(klass, teacher, cards[0].pupil, "Des bancs")
    waiting = services.propose(cards[1].pupil, "Un potager", "Pour apprendre.", services.prices_of(klass)[0])
    note = services.comment(cards[2].pupil, approved, "for", "Oui !")
    other, other_teacher, other_cards = make_class(cards=1)
    db.session.commit()
    return {"klass": klass, "teacher": teacher, "cards": cards, "approved": approved, "waiting": waiting,
            "note": note, "other": other, "other_teacher": other_teacher, "other_cards": other_cards}


def class_routes(w) -> list[tuple[str, str, dict]]:
    k = w["klass"].id
    price = services.prices_of(w["klass"])[0].id
    pupil = w["cards"][1].pupil.id
    return [
        ("GET", f"/school/classes/{k}", {}),
        ("POST", f"/school/classes/{k}/budget",
         {"budget-title": "X", "budget-budget": "10", "budget-kind": "approval"}),
        ("POST", f"/school/classes/{k}/phase", {}),
        ("POST", f"/school/classes/{k}/prices", {"price-label": "X", "price-icon": "star", "price-cost": "5"}),
        ("POST", f"/school/classes/{k}/prices/{price}/delete", {}),
        ("POST", f"/school/classes/{k}/cards", {"cards-count": "2"}),
        ("POST", f"/school/classes/{k}/cards/{pupil}/reprint", {}),
        ("POST", f"/school/classes/{k}/cards/{pupil}/revoke", {}),
        ("POST", f"/school/classes/{k}/ideas/{w['waiting'].id}/moderate", {"decision": "approve"}),
        ("POST", f"/school/classes/{k}/comments/{w['note'].id}/moderate", {"decision": "approve"}),
        ("POST", f"/school/classes/{k}/erase", {"confirm": "yes"}),
        ("POST", f"/school/classes/{k}/delete", {"confirm": "yes"}),
        ("POST", f"/school/classes/{k}/ideas/{w['approved'].id}/city", {"city-cycle": "1"}),
    ]


def school_routes(w) -> list[tuple[str, str, dict]]:
    """The school's page and its actions (officials; the coordinator for teachers)."""
    klass = w["klass"]
    school, membership = klass.school_id, klass.school.teachers[0]
    return [
        ("POST", f"/school/{school}/edit", {"school-name": "Rebaptisée", "school-district": ""}),
        ("POST", f"/school/{school}/delete", {"confirm": "yes"}),
        ("POST", f"/school/{school}/teachers/{membership.id}/remove", {}),
        ("POST", f"/school/{school}/classes/{klass.id}/hand-over", {f"class-{klass.id}-teacher": str(membership.id)}),
    ]


def pupil_routes(w) -> list[str]:
    return ["/school/pupil/", "/school/pupil/ideas/new", f"/school/pupil/ideas/{w['approved'].id}",
            f"/school/pupil/ideas/{w['waiting'].id}/change", f"/school/pupil/ideas/{w['waiting'].id}/withdraw",
            "/school/pupil/vote", "/school/pupil/results"]


def snapshot(db, w) -> tuple:
    """What any of the routes could change."""
    db.session.expire_all()
    klass = db.session.get(SchoolClass, w["klass"].id)
    return (klass.cycle.phases.__len__(), klass.erased_at, db.session.scalar(select(func.count(Pupil.id))),
            tuple(db.session.scalars(select(Pupil.code_hash).order_by(Pupil.id))),
            tuple(db.session.scalars(select(Pupil.revoked_at).order_by(Pupil.id))),
            db.session.scalar(select(func.count(PriceItem.id))),
            tuple(db.session.scalars(select(PupilIdea.state).order_by(PupilIdea.id))),
            tuple(db.session.scalars(select(Proposal.title).order_by(Proposal.id))),
            tuple(db.session.scalars(select(School.name).order_by(School.id))),
            tuple(db.session.execute(select(SchoolTeacher.school_id, SchoolTeacher.user_id)
                                     .order_by(SchoolTeacher.id))),
            tuple(db.session.scalars(select(SchoolClass.teacher_id).order_by(SchoolClass.id))),
            tuple(db.session.scalars(select(PupilComment.state).order_by(PupilComment.id))))


def sign_in_pupil(client, klass, code) -> None:
    token = csrf_token(client, "/school/pupil/sign-in")
    response = client.post("/school/pupil/sign-in", data={"csrf_token": token, "class_code": klass.code,
                                                          "card_code": code})
    assert response.status_code == 303, response.get_data(as_text=True)


def post(client, path, data=None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/school/pupil/sign-in"), **(data or {})})


def test_anonymous_sees_nothing(client, world, db):
    before = snapshot(db, world)
    for method, path, data in class_routes(world):
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/"), **data})
        assert response.status_code == 404, (path, response.status_code)
    for path in ("/school/", f"/school/{world['klass'].school_id}/teachers",
                 f"/school/{world['klass'].school_id}/classes/new"):
        assert client.get(path).status_code == 302
    for method, path, data in school_routes(world):
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/"), **data})
        assert response.status_code == 302, path
    for path in pupil_routes(world):
        response = client.get(path)
        assert response.status_code == 302 and "/school/pupil/sign-in" in response.headers["Location"]
    assert snapshot(db, world) == before


def test_every_role_against_every_school_route(client, world, db, any_role):
    user = make_user(any_role)
    db.session.commit()
    login(client, user)
    before = snapshot(db, world)
    for method, path, data in class_routes(world):
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/"), **data})
        assert response.status_code == 403, (any_role, path, response.status_code)
    school = world["klass"].school_id
    home = client.get("/school/")
    assert home.status_code == (200 if any_role in (Role.OFFICIAL, Role.TEACHER) else 403)
    assert "CM2 B" not in home.get_data(as_text=True)  # nobody but its teacher sees the class
    teachers = client.get(f"/school/{school}/teachers").status_code
    assert teachers == (200 if any_role == Role.OFFICIAL else 403)
    assert client.get(f"/school/{school}/classes/new").status_code == 403  # not a teacher of this school
    for path in pupil_routes(world):  # an adult is not a pupil
        assert client.get(path).status_code == 302
    if any_role != Role.OFFICIAL:  # officials run schools: test_official_edits_and_deletes_schools
        for method, path, data in school_routes(world):
            response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/"), **data})
            assert response.status_code == 403, (any_role, path, response.status_code)
    assert snapshot(db, world) == before


def test_teacher_of_another_school_sees_nothing(client, world, db):
    login(client, world["other_teacher"])
    before = snapshot(db, world)
    for method, path, data in class_routes(world):
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/"), **data})
        assert response.status_code == 403, path
    assert client.get(f"/school/{world['klass'].school_id}/classes/new").status_code == 403
    assert client.get(f"/school/{world['klass'].school_id}/teachers").status_code == 403
    for method, path, data in school_routes(world):
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/"), **data})
        assert response.status_code == 403, path
    assert snapshot(db, world) == before


def test_pupil_of_another_class_sees_nothing(client, world, db):
    other = world["other"]
    sign_in_pupil(client, other, world["other_cards"][0].code)
    before = snapshot(db, world)
    for method, path, data in class_routes(world):
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/"), **data})
        assert response.status_code == 404, path
    html = client.get("/school/pupil/").get_data(as_text=True)
    assert "Des bancs" not in html and world["cards"][0].pupil.pseudonym not in html
    assert client.get(f"/school/pupil/ideas/{world['approved'].id}").status_code == 404
    assert client.get(f"/school/pupil/ideas/{world['waiting'].id}").status_code == 404
    assert post(client, f"/school/pupil/ideas/{world['approved'].id}",
                {"stance": "for", "body": "Hop"}).status_code == 404
    for idea in (world["approved"], world["waiting"]):
        assert client.get(f"/school/pupil/ideas/{idea.id}/change").status_code == 404
        assert post(client, f"/school/pupil/ideas/{idea.id}/change", idea_form(world, "Volé")).status_code == 404
        assert post(client, f"/school/pupil/ideas/{idea.id}/withdraw").status_code == 404
    assert snapshot(db, world) == before


def idea_form(w, title: str) -> dict:
    return {"title": title, "why": "Parce que.", "price": str(services.prices_of(w["klass"])[1].id)}


def test_only_the_author_changes_or_takes_back_an_idea(client, world, db):
    sign_in_pupil(client, world["klass"], world["cards"][2].code)  # a classmate
    before = snapshot(db, world)
    for idea in (world["approved"], world["waiting"]):
        assert client.get(f"/school/pupil/ideas/{idea.id}/change").status_code == 404
        assert post(client, f"/school/pupil/ideas/{idea.id}/change", idea_form(world, "Volé")).status_code == 404
        assert client.get(f"/school/pupil/ideas/{idea.id}/withdraw").status_code == 404
        assert post(client, f"/school/pupil/ideas/{idea.id}/withdraw").status_code == 404
    assert "Take back my idea" not in client.get(f"/school/pupil/ideas/{world['approved'].id}").get_data(as_text=True)
    assert snapshot(db, world) == before


def test_author_changes_then_takes_back_an_idea(client, world, db):
    sign_in_pupil(client, world["klass"], world["cards"][1].code)
    waiting = world["waiting"]
    page = client.get(f"/school/pupil/ideas/{waiting.id}", headers=FR).get_data(as_text=True)
    assert "Modifier mon idée" in page and "Reprendre mon idée" in page
    form = client.get(f"/school/pupil/ideas/{waiting.id}/change", headers=FR).get_data(as_text=True)
    assert 'value="Un potager"' in form and form.count("<h1") == 1
    before = snapshot(db, world)
    bad = post(client, f"/school/pupil/ideas/{waiting.id}/change", idea_form(world, ""))
    assert bad.status_code == 422 and "error-summary" in bad.get_data(as_text=True)
    assert snapshot(db, world) == before
    assert post(client, f"/school/pupil/ideas/{waiting.id}/change",
                idea_form(world, "Un potager fleuri")).status_code == 303
    db.session.expire_all()
    changed = db.session.get(PupilIdea, waiting.id)
    assert changed.proposal.title == "Un potager fleuri" and changed.state == Moderation.WAITING
    confirm = client.get(f"/school/pupil/ideas/{waiting.id}/withdraw", headers=FR)
    assert confirm.status_code == 200 and "Un potager fleuri" in confirm.get_data(as_text=True)
    assert client.post(f"/school/pupil/ideas/{waiting.id}/withdraw").status_code == 400  # no CSRF token
    idea_id = waiting.id
    assert post(client, f"/school/pupil/ideas/{idea_id}/withdraw").status_code == 303
    db.session.expire_all()
    assert db.session.get(PupilIdea, idea_id) is None
    assert "Un potager" not in client.get("/school/pupil/").get_data(as_text=True)


def test_an_approved_idea_no_longer_changes_and_none_after_the_vote_opens(client, world, db):
    sign_in_pupil(client, world["klass"], world["cards"][0].code)  # the author of the approved idea
    approved = world["approved"]
    page = client.get(f"/school/pupil/ideas/{approved.id}", headers=FR).get_data(as_text=True)
    assert "Modifier mon idée" not in page and "Reprendre mon idée" in page
    before = snapshot(db, world)
    assert client.get(f"/school/pupil/ideas/{approved.id}/change").status_code == 303
    assert post(client, f"/school/pupil/ideas/{approved.id}/change", idea_form(world, "Autre")).status_code == 303
    assert snapshot(db, world) == before
    to_phase(world["klass"], world["teacher"], PhaseKind.VOTING)
    db.session.commit()
    assert client.get(f"/school/pupil/ideas/{approved.id}/withdraw").status_code == 303
    assert post(client, f"/school/pupil/ideas/{approved.id}/withdraw").status_code == 303
    db.session.expire_all()
    assert db.session.get(PupilIdea, approved.id) is not None


def test_class_pages_are_not_city_pages(client, world, db):
    slug = world["klass"].cycle.slug
    login(client, make_user())
    db.session.commit()
    for path in (f"/budgets/{slug}", f"/budgets/{slug}/results", f"/vote/{slug}",
                 f"/proposals/{world['approved'].proposal_id}"):
        assert client.get(path).status_code == 404, path
    assert world["klass"].cycle.title not in client.get("/budgets").get_data(as_text=True)
    assert "Des bancs" not in client.get("/proposals/").get_data(as_text=True)


def test_teacher_path_create_class_budget_prices_cards(client, db):
    klass, teacher, _ = make_class(cards=0, budget=False)
    db.session.commit()
    login(client, teacher)
    token = csrf_token(client, "/school/")
    response = client.post(f"/school/{klass.school_id}/classes/new",
                           data={"csrf_token": token, "name": "CE2 A", "grade_level": "3", "school_year": "2026-2027"})
    assert response.status_code == 303
    new = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "CE2 A"))
    base = f"/school/classes/{new.id}"
    assert client.post(base + "/budget", data={"csrf_token": token, "budget-title": "Cour",
                                               "budget-budget": "2 000", "budget-kind": "approval"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SchoolClass, new.id).cycle.total_budget_cents == 200_000
    assert client.post(base + "/prices", data={"csrf_token": token, "price-label": "Banc", "price-icon": "bench",
                                               "price-cost": "300"}).status_code == 303
    sheet = client.post(base + "/cards", data={"csrf_token": token, "cards-count": "4"})
    html = sheet.get_data(as_text=True)
    assert sheet.status_code == 200 and html.count('class="code-card"') == 4 and new.code in html
    assert sheet.headers["Cache-Control"] == "no-store"
    page = client.get(base, headers=FR).get_data(as_text=True)
    assert page.count("<h1") == 1 and "lesson-progress" in page


def test_bad_input_is_refused_with_422(client, world, db):
    login(client, world["teacher"])
    token = csrf_token(client, "/school/")
    k = world["klass"].id
    assert client.post(f"/school/classes/{k}/prices", data={"csrf_token": token, "price-label": "",
                                                            "price-icon": "nope", "price-cost": "abc"}
                       ).status_code == 422
    assert client.post(f"/school/classes/{k}/cards", data={"csrf_token": token, "cards-count": "999"}
                       ).status_code == 422
    assert client.post(f"/school/{world['klass'].school_id}/classes/new",
                       data={"csrf_token": token, "name": "X", "grade_level": "3", "school_year": "demain"}
                       ).status_code == 422
    assert client.post(f"/school/classes/{k}/phase", data={}).status_code == 400  # no CSRF token


def test_teacher_moderates_and_moves_phases(client, world, db):
    login(client, world["teacher"])
    token = csrf_token(client, "/school/")
    k = world["klass"].id
    page = client.get(f"/school/classes/{k}").get_data(as_text=True)
    assert "Un potager" in page and "Oui !" in page
    assert client.post(f"/school/classes/{k}/ideas/{world['waiting'].id}/moderate",
                       data={"csrf_token": token, "decision": "refuse"}).status_code == 303
    assert client.post(f"/school/classes/{k}/comments/{world['note'].id}/moderate",
                       data={"csrf_token": token, "decision": "approve"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(PupilIdea, world["waiting"].id).state == Moderation.REFUSED
    assert db.session.get(PupilComment, world["note"].id).state == Moderation.APPROVED
    page = client.get(f"/school/classes/{k}", headers=FR).get_data(as_text=True)
    assert "Accepter finalement" in page and "Refuser finalement" in page
    assert client.post(f"/school/classes/{k}/ideas/{world['waiting'].id}/moderate",
                       data={"csrf_token": token, "decision": "approve"}).status_code == 303  # changed their mind
    assert client.post(f"/school/classes/{k}/comments/{world['note'].id}/moderate",
                       data={"csrf_token": token, "decision": "refuse"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(PupilIdea, world["waiting"].id).state == Moderation.APPROVED
    assert db.session.get(PupilComment, world["note"].id).state == Moderation.REFUSED
    for _ in range(3):
        assert client.post(f"/school/classes/{k}/phase", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert services.class_phase(db.session.get(SchoolClass, k)) == PhaseKind.RESULTS


def test_pupil_path_sign_in_propose_comment_vote_results(client, world, db):
    klass, cards = world["klass"], world["cards"]
    sign_in_pupil(client, klass, cards[1].code)
    html = client.get("/school/pupil/", headers=FR).get_data(as_text=True)
    assert cards[1].pupil.pseudonym in html and "Des bancs" in html and "Un potager" in html  # own waiting idea
    image = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(image, "PNG")
    image.seek(0)
    price = services.prices_of(klass)[1].id
    response = client.post("/school/pupil/ideas/new", data={
        "csrf_token": csrf_token(client, "/school/pupil/ideas/new"), "title": "Une fresque", "why": "C'est beau",
        "price": str(price), "image": (image, "dessin.png")}, content_type="multipart/form-data")
    assert response.status_code == 303
    idea = db.session.scalar(select(PupilIdea).join(PupilIdea.proposal).where(PupilIdea.pupil_id == cards[1].pupil.id)
                             .order_by(PupilIdea.id.desc()))
    assert idea.proposal.title == "Une fresque" and idea.proposal.images
    token = idea.proposal.images[0].token
    assert client.get(f"/school/images/{token}").status_code == 200
    assert post(client, "/school/pupil/ideas/new", {"title": "", "why": "", "price": "0"}).status_code == 422
    assert post(client, f"/school/pupil/ideas/{world['approved'].id}",
                {"stance": "against", "body": "Trop cher"}).status_code == 303
    teacher = world["teacher"]
    to_phase(db.session.get(SchoolClass, klass.id), teacher, PhaseKind.VOTING)
    db.session.commit()
    ballot = client.get("/school/pupil/vote", headers=FR)
    assert ballot.status_code == 200 and "Des bancs" in ballot.get_data(as_text=True)
    item = services.ballot_items(klass.cycle)[0]
    assert post(client, "/school/pupil/vote", {"idea": [str(item.id)] * 1}).status_code == 303
    assert client.get("/school/pupil/vote").status_code == 303  # one ballot per pupil
    services.move_phase(teacher, db.session.get(SchoolClass, klass.id))
    db.session.commit()
    results = client.get("/school/pupil/results", headers=FR).get_data(as_text=True)
    assert "Des bancs" in results


def test_an_empty_ballot_is_refused_clearly(client, world, db):
    to_phase(world["klass"], world["teacher"], PhaseKind.VOTING)
    db.session.commit()
    sign_in_pupil(client, world["klass"], world["cards"][0].code)
    response = post(client, "/school/pupil/vote", {})
    assert response.status_code == 422 and "error-summary" in response.get_data(as_text=True)


def test_revoked_or_reprinted_card_signs_the_pupil_out(client, world, db):
    klass, cards, teacher = world["klass"], world["cards"], world["teacher"]
    sign_in_pupil(client, klass, cards[0].code)
    assert client.get("/school/pupil/").status_code == 200
    services.reprint_card(teacher, cards[0].pupil)
    db.session.commit()
    assert client.get("/school/pupil/").status_code == 302


def test_wrong_codes_are_refused_and_rate_limited(client, world, db, app):
    klass = world["klass"]
    token = csrf_token(client, "/school/pupil/sign-in")
    statuses = [client.post("/school/pupil/sign-in", data={"csrf_token": token, "class_code": klass.code,
                                                           "card_code": "AAAA-BBBB-CCCC"}).status_code
                for _ in range(21)]
    assert statuses[0] == 422 and statuses[-1] == 429
    assert client.post("/school/pupil/sign-in", data={"csrf_token": token, "class_code": world["other"].code,
                                                      "card_code": world["cards"][0].code}).status_code == 429


def test_a_card_of_another_class_is_refused(client, world):
    token = csrf_token(client, "/school/pupil/sign-in")
    response = client.post("/school/pupil/sign-in", data={"csrf_token": token, "class_code": world["other"].code,
                                                          "card_code": world["cards"][0].code})
    assert response.status_code == 422
    assert client.get("/school/pupil/").status_code == 302


def test_official_creates_school_and_grants_teacher(client, db):
    official = make_user(Role.OFFICIAL)
    resident = make_user()
    db.session.commit()
    login(client, official)
    token = csrf_token(client, "/school/")
    response = client.post("/school/", data={"csrf_token": token, "name": "École Moulins", "district": ""})
    assert response.status_code == 303
    path = response.headers["Location"]
    assert client.post(path, data={"csrf_token": token, "email": resident.email}).status_code == 303
    db.session.expire_all()
    assert db.session.get(type(resident), resident.id).role == Role.TEACHER
    assert client.post(path, data={"csrf_token": token, "email": "not-an-email"}).status_code == 422


def test_coordinator_grants_teachers_of_their_school(client, db):
    klass, teacher, _ = make_class(cards=0, budget=False)
    official = make_user(Role.OFFICIAL)
    coordinator = make_teacher(klass.school, official, coordinator=True)
    newcomer = make_user()
    db.session.commit()
    login(client, coordinator)
    token = csrf_token(client, "/school/")
    assert client.post(f"/school/{klass.school_id}/teachers",
                       data={"csrf_token": token, "email": newcomer.email}).status_code == 303


def test_erase_button_and_city_link(client, world, db):
    city = make_cycle(PhaseKind.SUBMISSION)
    klass, teacher = world["klass"], world["teacher"]
    to_phase(klass, teacher, PhaseKind.VOTING)
    services.vote(world["cards"][0].pupil, [services.ballot_items(klass.cycle)[0].id])
    to_phase(klass, teacher, PhaseKind.RESULTS)
    db.session.commit()
    login(client, teacher)
    token = csrf_token(client, "/school/")
    assert client.post(f"/school/classes/{klass.id}/ideas/{world['approved'].id}/city",
                       data={"csrf_token": token, "city-cycle": str(city.id)}).status_code == 303
    db.session.expire_all()
    assert db.session.get(PupilIdea, world["approved"].id).city_proposal_id is not None
    refused = client.post(f"/school/classes/{klass.id}/erase", data={"csrf_token": token})  # box not ticked
    assert refused.status_code == 422 and 'id="erase-error"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SchoolClass, klass.id).erased_at is None
    assert client.post(f"/school/classes/{klass.id}/erase",
                       data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SchoolClass, klass.id).erased_at is not None
    html = client.get(f"/school/classes/{klass.id}").get_data(as_text=True)
    assert "Des bancs" in html  # the results stay


def test_official_edits_and_deletes_schools(client, world, db):
    official = make_user(Role.OFFICIAL)
    empty = services.create_school(official, "École fermée").id
    db.session.commit()
    login(client, official)
    token = csrf_token(client, "/school/")
    school = world["klass"].school_id
    page = client.get(f"/school/{school}/teachers", headers=FR).get_data(as_text=True)
    assert "ne peut pas être supprimée" in page and "CM2 B" in page  # class names only
    assert client.post(f"/school/{school}/edit", data={"csrf_token": token, "school-name": "",
                                                       "school-district": ""}).status_code == 422
    assert client.post(f"/school/{school}/edit", data={"csrf_token": token, "school-name": "École Jean-Macé",
                                                       "school-district": ""}).status_code == 303
    assert client.post(f"/school/{school}/delete", data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    assert client.post(f"/school/{empty}/delete", data={"csrf_token": token}).status_code == 303  # not ticked
    db.session.expire_all()
    assert db.session.get(School, school).name == "École Jean-Macé" and db.session.get(School, empty)
    assert client.post(f"/school/{empty}/delete", data={"confirm": "yes"}).status_code == 400  # no CSRF token
    assert client.post(f"/school/{empty}/delete", data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(School, empty) is None and db.session.get(School, school) is not None


def test_coordinator_hands_a_class_over_then_takes_the_teacher_off(client, world, db):
    klass, teacher = world["klass"], world["teacher"]
    official = make_user(Role.OFFICIAL)
    coordinator = make_teacher(klass.school, official, coordinator=True)
    db.session.commit()
    login(client, coordinator)
    token = csrf_token(client, "/school/")
    base = f"/school/{klass.school_id}"
    leaving = db.session.scalar(select(SchoolTeacher.id).where(SchoolTeacher.user_id == teacher.id))
    mine = db.session.scalar(select(SchoolTeacher.id).where(SchoolTeacher.user_id == coordinator.id))
    page = client.get(base + "/teachers", headers=FR)
    assert page.status_code == 200 and "Retirer de l’école" in page.get_data(as_text=True)
    assert client.post(f"{base}/teachers/{leaving}/remove", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SchoolTeacher, leaving) is not None  # still runs CM2 B
    assert client.post(f"{base}/teachers/{mine}/remove", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SchoolTeacher, mine) is not None  # a coordinator is taken off by the city only
    assert client.post(f"{base}/classes/{klass.id}/hand-over",
                       data={"csrf_token": token, f"class-{klass.id}-teacher": "999999"}).status_code == 303
    assert client.post(f"{base}/classes/{klass.id}/hand-over",
                       data={"csrf_token": token, f"class-{klass.id}-teacher": str(mine)}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SchoolClass, klass.id).teacher_id == coordinator.id
    assert client.post(f"{base}/teachers/{leaving}/remove", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SchoolTeacher, leaving) is None
    assert db.session.get(type(teacher), teacher.id).role == Role.RESIDENT
    assert client.get(f"/school/classes/{klass.id}").status_code == 200  # the new teacher runs it


def test_teacher_deletes_a_class_created_by_mistake(client, db):
    klass, teacher, _ = make_class(budget=False, cards=2)
    db.session.commit()
    login(client, teacher)
    token = csrf_token(client, "/school/")
    page = client.get(f"/school/classes/{klass.id}", headers=FR).get_data(as_text=True)
    assert "Supprimer la classe" in page
    class_id = klass.id
    assert client.post(f"/school/classes/{class_id}/delete", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SchoolClass, class_id) is not None  # the box was not ticked
    response = client.post(f"/school/classes/{class_id}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/school/")
    db.session.expire_all()
    assert db.session.get(SchoolClass, class_id) is None
    assert client.get(f"/school/classes/{class_id}").status_code == 404
