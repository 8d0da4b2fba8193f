"""The call center's pages with the test client: every role on every route, the forms, bad input, privacy."""

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.callcenter import services
from app.callcenter.models import (
    Call,
    CallbackTask,
    Caller,
    CallerInterest,
    ClaimCode,
    MunicipalService,
    TalkingPoint,
    TaskStatus,
)
from app.core.models import AuditEntry
from app.cycles.models import Cycle, PhaseKind
from app.extensions import db as _db
from app.proposals import services as proposal_services
from app.proposals.models import Proposal, ProposalStatus
from tests.callcenter.conftest import EMAIL, NAME, PHONE, all_text, attach, count, make_service
from tests.conftest import csrf_token, login
from tests.factories import make_cycle, make_district, make_proposal, make_user

AGENTS = (Role.AGENT, Role.OFFICIAL)
OTHERS = (Role.RESIDENT, Role.MODERATOR, Role.TEACHER)


@pytest.fixture
def world(app, db):
    """Committed: an open cycle with a proposal a consenting caller follows, a callback task, a service."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        agent, official = make_user(Role.AGENT), make_user(Role.OFFICIAL)
        cycle = make_cycle(PhaseKind.REVIEW)
        proposal = make_proposal(cycle, title="Des bancs place du Concert")
        attach(agent, proposal, email=EMAIL)
        proposal_services.change_status(official, proposal, ProposalStatus.FEASIBLE)
        service = make_service()
        db.session.commit()
        call = db.session.scalar(select(Call))
        task = db.session.scalar(select(CallbackTask))
        return {"agent": agent, "official": official, "cycle": cycle, "proposal": proposal, "call": call,
                "caller": call.caller, "task": task, "service": service}


GET_ROUTES = {
    # name: (path builder, who may open it)
    "console": (lambda w: "/callcenter/", AGENTS),
    "search": (lambda w: "/callcenter/search?q=banc", AGENTS),
    "new_call": (lambda w: "/callcenter/calls/new", AGENTS),
    "calls": (lambda w: "/callcenter/calls", AGENTS),
    "call": (lambda w: f"/callcenter/calls/{w['call'].id}", AGENTS),
    "callers": (lambda w: "/callcenter/callers", AGENTS),
    "caller": (lambda w: f"/callcenter/callers/{w['caller'].id}", AGENTS),
    "queue": (lambda w: "/callcenter/callbacks", AGENTS),
    "dashboard": (lambda w: "/callcenter/dashboard", (Role.OFFICIAL,)),
    "talking_points": (lambda w: "/callcenter/talking-points", (Role.OFFICIAL,)),
    "talking_point": (lambda w: "/callcenter/talking-points/review", (Role.OFFICIAL,)),
    "service_list": (lambda w: "/callcenter/services", (Role.OFFICIAL,)),
    "service_new": (lambda w: "/callcenter/services/new", (Role.OFFICIAL,)),
    "service_edit": (lambda w: f"/callcenter/services/{w['service'].id}/edit", (Role.OFFICIAL,)),
    "settings": (lambda w: "/callcenter/settings", (Role.OFFICIAL,)),
    "claim": (lambda w: "/callcenter/claim", tuple(Role)),
}

POST_ROUTES = {
    "forget": (lambda w: f"/callcenter/callers/{w['caller'].id}/forget", AGENTS),
    "take": (lambda w: f"/callcenter/callbacks/{w['task'].id}/take", AGENTS),
    "release": (lambda w: f"/callcenter/callbacks/{w['task'].id}/release", AGENTS),
    "service_active": (lambda w: f"/callcenter/services/{w['service'].id}/active", (Role.OFFICIAL,)),
    "phone_supports": (lambda w: f"/callcenter/settings/{w['cycle'].id}/phone-supports", (Role.OFFICIAL,)),
    "new_call": (lambda w: "/callcenter/calls/new", AGENTS),
    "lookup": (lambda w: "/callcenter/callers", AGENTS),
    "talking_point": (lambda w: "/callcenter/talking-points/review", (Role.OFFICIAL,)),
    "service_new": (lambda w: "/callcenter/services/new", (Role.OFFICIAL,)),
}


@pytest.mark.parametrize("route", GET_ROUTES)
def test_every_role_on_every_page(client, login_as, world, any_role, route):
    build, allowed = GET_ROUTES[route]
    login_as(any_role)
    response = client.get(build(world))
    if any_role in allowed:
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("route", POST_ROUTES)
def test_every_role_on_every_action(client, login_as, world, any_role, route):
    build, allowed = POST_ROUTES[route]
    login_as(any_role)
    token = csrf_token(client, "/")
    response = client.post(build(world), data={"csrf_token": token})
    if any_role in allowed:
        assert response.status_code in (200, 302, 422)
    else:
        assert response.status_code == 403
        assert db_caller(world).name == NAME  # nothing happened


def db_caller(world):
    _db.session.expire_all()  # read what the requests committed
    return _db.session.get(Caller, world["caller"].id)


def fresh(model, object_id):
    _db.session.expire_all()
    return _db.session.get(model, object_id)


@pytest.mark.parametrize("path", ["/callcenter/", "/callcenter/calls/new", "/callcenter/callbacks",
                                  "/callcenter/callers/1", "/callcenter/dashboard", "/callcenter/claim"])
def test_anonymous_visitors_are_sent_to_sign_in(client, world, path):
    response = client.get(path)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_nav_link_shows_only_for_agents_and_officials(client, login_as, world, any_role):
    login_as(any_role)
    html = client.get("/").get_data(as_text=True)
    assert ('href="/callcenter/"' in html) == (any_role in AGENTS)


# --- Console and search -----------------------------------------------------------------------------------------------

def test_console_searches_without_javascript_and_shows_phases_and_talking_points(client, login_as, world):
    login_as(Role.AGENT, locale="en")
    html = client.get("/callcenter/?q=bancs", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Des bancs place du Concert" in html and f"/callcenter/calls/new?proposal={world['proposal'].id}" in html
    assert "Review by the city" in html and "The city is studying the proposals" in html


def test_search_fragment_is_a_fragment(client, login_as, world):
    login_as(Role.AGENT)
    response = client.get("/callcenter/search?q=concert")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Des bancs place du Concert" in html and "<html" not in html
    assert client.get("/callcenter/search?q=" + "x" * 101).status_code == 422


def test_console_says_no_cycle_is_open(client, login_as, db):
    login_as(Role.AGENT, locale="en")
    html = client.get("/callcenter/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No participatory budget is open at the moment" in html


# --- Intake -----------------------------------------------------------------------------------------------------------

def intake_data(client, **values):
    data = {"csrf_token": csrf_token(client, "/callcenter/calls/new"), "complaint": "", "district": "0",
            "category": "0", "language": "fr", "preferred_contact": "phone", "cycle": "0", "service": "0",
            "address": "", "latitude": "", "longitude": "", "title": "", "proposal": "", "name": "", "phone": "",
            "email": ""}
    data.update(values)
    return data


def test_full_call_new_proposal_with_consent_and_claim_code_shown_once(client, login_as, db):
    agent = login_as(Role.AGENT, locale="en")
    cycle = make_cycle(PhaseKind.SUBMISSION)
    district = make_district()
    db.session.commit()
    response = client.post("/callcenter/calls/new", data=intake_data(
        client, complaint="Il n'y a pas de banc à l'arrêt de bus, les personnes âgées restent debout.",
        outcome="new_proposal", cycle=str(cycle.id), district=str(district.id), consent="y", name=NAME,
        phone="06 12 34 56 78", latitude="50.63", longitude="3.06", address="Arrêt Gambetta"),
        headers={"Accept-Language": "en"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    code = re.search(r'<p class="code">([0-9A-Z-]+)</p>', page).group(1)
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert code not in again
    proposal = db.session.scalar(select(Proposal))
    assert proposal.channel == "phone" and proposal.entered_by_id == agent.id and proposal.latitude == 50.63
    assert proposal.district_id == district.id
    assert db.session.scalar(select(Caller)).phone == PHONE
    # The public page says it came by phone, never who called.
    public = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert NAME not in public and "06 12 34 56 78" not in public and PHONE not in public
    # The resident claims it from an account.
    resident = make_user(Role.RESIDENT)
    db.session.commit()
    login(client, resident)
    response = client.post("/callcenter/claim", data={"csrf_token": csrf_token(client, "/callcenter/claim"),
                                                      "code": code.lower()})
    assert response.status_code == 302 and fresh(Proposal, proposal.id).author_id == resident.id


@pytest.mark.parametrize("values, field_text", [
    ({"complaint": ""}, "request"),
    ({"complaint": "x" * 5001}, "request"),
    ({"consent": "y", "name": NAME, "phone": "12 34"}, "phone"),
    ({"consent": "y", "name": NAME, "phone": "06 12 34 56 78 99 99"}, "phone"),
    ({"consent": "y", "name": "", "phone": "06 12 34 56 78"}, "name"),
    ({"consent": "y", "name": "n" * 121, "phone": "06 12 34 56 78"}, "name"),
    ({"consent": "y", "name": NAME, "phone": "06 12 34 56 78", "email": "nope"}, "email"),
    ({"consent": "y", "name": NAME, "phone": "06 12 34 56 78", "preferred_contact": "email"}, "email"),
    ({"outcome": "not_pb", "service": "0"}, "service"),
    ({"outcome": "attached", "phone_support": "y"}, "support"),
    ({"outcome": "attached", "proposal": "999999"}, "proposal"),
    ({"outcome": "attached", "proposal": "abc"}, "proposal"),
    ({"outcome": "new_proposal", "cycle": "0"}, "budget"),
    ({"outcome": "bogus"}, "outcome"),
    ({"latitude": "50.6"}, "longitude"),
    ({"latitude": "500", "longitude": "3"}, "latitude"),
    ({"language": "xx"}, "language"),
])
def test_bad_input_gives_a_clear_error_and_writes_nothing(client, login_as, db, values, field_text):
    login_as(Role.AGENT, locale="en")
    proposal = make_proposal(make_cycle(PhaseKind.SUBMISSION))
    service = make_service()
    db.session.commit()
    data = intake_data(client, complaint="Un trottoir cassé devant l'école maternelle du quartier.",
                       outcome="attached", proposal=str(proposal.id), service=str(service.id))
    data.update(values)
    response = client.post("/callcenter/calls/new", data=data, headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in html and field_text in html.lower()
    assert count(Call) == 0 and count(Caller) == 0 and count(Proposal) == 1  # only the one of the test
    assert NAME not in all_text() and PHONE not in all_text()


def test_intake_without_consent_keeps_no_contact_data(client, login_as, world):
    login_as(Role.AGENT)
    before = count(Caller)
    response = client.post("/callcenter/calls/new", data=intake_data(
        client, complaint="Veut savoir où en est le projet de bancs.", outcome="attached",
        proposal=str(world["proposal"].id), name="Bernadette Sansconsent", phone="06 11 22 33 44",
        email="bernadette@example.net"))
    assert response.status_code == 302
    assert count(Caller) == before and count(Call) == 2
    stored = all_text()
    assert "Bernadette" not in stored and "+33611223344" not in stored and "bernadette@" not in stored


def test_attach_link_from_search_preselects_the_proposal(client, login_as, world):
    login_as(Role.AGENT)
    html = client.get(f"/callcenter/calls/new?proposal={world['proposal'].id}").get_data(as_text=True)
    assert f'value="{world["proposal"].id}"' in html and "Des bancs place du Concert" in html


# --- Callers' data ----------------------------------------------------------------------------------------------------

def test_reading_a_caller_record_is_audited(client, login_as, world):
    agent = login_as(Role.AGENT)
    html = client.get(f"/callcenter/callers/{world['caller'].id}").get_data(as_text=True)
    assert NAME in html and "06 12 34 56 78" in html
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "caller.viewed"))
    assert entry.actor_id == agent.id and entry.target_id == str(world["caller"].id)


def test_lookup_by_phone_goes_to_the_record_and_keeps_the_number_out_of_urls(client, login_as, world):
    login_as(Role.AGENT)
    token = csrf_token(client, "/callcenter/callers")
    response = client.post("/callcenter/callers", data={"csrf_token": token, "phone": "+33 6 12 34 56 78"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/callers/{world['caller'].id}")
    missing = client.post("/callcenter/callers", data={"csrf_token": token, "phone": "06 99 99 99 99"})
    assert missing.status_code == 422
    bad = client.post("/callcenter/callers", data={"csrf_token": token, "phone": "hello"})
    assert bad.status_code == 422


def test_forget_this_caller_is_one_button(client, login_as, world):
    login_as(Role.AGENT)
    token = csrf_token(client, f"/callcenter/callers/{world['caller'].id}")
    response = client.post(f"/callcenter/callers/{world['caller'].id}/forget", data={"csrf_token": token})
    assert response.status_code == 302
    caller = db_caller(world)
    assert caller.erased and caller.name is None and caller.phone is None and caller.email is None
    assert fresh(CallbackTask, world["task"].id).status == TaskStatus.CANCELLED


def test_contact_data_never_appear_on_public_pages_or_exports(client, login_as, world):
    pages = [f"/proposals/{world['proposal'].id}", "/proposals/", f"/cycles/{world['cycle'].slug}"]
    login_as(Role.OFFICIAL)
    pages += ["/review/export.csv", "/callcenter/calls", "/callcenter/callbacks", "/callcenter/dashboard",
              "/admin/audit"]
    for path in pages:
        response = client.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code in (200, 404), path
        for secret in (NAME, PHONE, "06 12 34 56 78", EMAIL):
            assert secret not in text, path


# --- Callback queue ---------------------------------------------------------------------------------------------------

def test_working_a_callback(client, login_as, world):
    login_as(Role.AGENT, locale="en")
    queue = client.get("/callcenter/callbacks", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Des bancs place du Concert" in queue and "06 12 34 56 78" not in queue  # the number only once taken
    token = csrf_token(client, "/callcenter/callbacks")
    task_id = world["task"].id
    response = client.post(f"/callcenter/callbacks/{task_id}/take", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/callcenter/callbacks/{task_id}")
    page = client.get(f"/callcenter/callbacks/{task_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # The number, the news and the talking point of the phase, in the caller's language (French here).
    assert "06 12 34 56 78" in page and "Réalisable" in page
    assert '<blockquote class="talking-point" lang="fr">' in page
    bad = client.post(f"/callcenter/callbacks/{task_id}", data={"csrf_token": token, "outcome": "maybe"})
    assert bad.status_code == 422
    response = client.post(f"/callcenter/callbacks/{task_id}", data={"csrf_token": token, "outcome": "no_answer"})
    assert response.status_code == 302
    task = fresh(CallbackTask, task_id)
    assert task.status == TaskStatus.OPEN and task.attempts == 1


def test_another_agent_cannot_open_or_close_a_task_in_progress(client, login_as, world):
    with client.application.test_request_context():
        services.take_task(_db.session.get(type(world["agent"]), world["agent"].id), world["task"])
        _db.session.commit()
    login_as(Role.AGENT)
    token = csrf_token(client, "/callcenter/callbacks")
    task_id = world["task"].id
    assert client.get(f"/callcenter/callbacks/{task_id}").status_code == 302
    client.post(f"/callcenter/callbacks/{task_id}", data={"csrf_token": token, "outcome": "reached"})
    client.post(f"/callcenter/callbacks/{task_id}/take", data={"csrf_token": token})
    client.post(f"/callcenter/callbacks/{task_id}/release", data={"csrf_token": token})
    task = fresh(CallbackTask, task_id)
    assert task.status == TaskStatus.IN_PROGRESS and task.taken_by_id == world["agent"].id


# --- Officials --------------------------------------------------------------------------------------------------------

def test_official_edits_talking_points_services_and_phone_supports(client, login_as, world):
    login_as(Role.OFFICIAL)
    token = csrf_token(client, "/callcenter/talking-points/review")
    response = client.post("/callcenter/talking-points/review",
                           data={"csrf_token": token, "text_fr": "La Ville étudie les idées.", "text_en": "",
                                 "text_nl": ""})
    assert response.status_code == 302 and _db.session.scalar(select(TalkingPoint)).text_fr.startswith("La Ville")
    too_long = client.post("/callcenter/talking-points/review", data={"csrf_token": token, "text_fr": "x" * 4001})
    assert too_long.status_code == 422
    assert client.get("/callcenter/talking-points/bogus").status_code == 404
    response = client.post("/callcenter/services/new", data={"csrf_token": token, "name_fr": "Voirie",
                                                             "answer_fr": "On passe demain."})
    assert response.status_code == 302 and count(MunicipalService) == 2
    empty = client.post("/callcenter/services/new", data={"csrf_token": token, "name_fr": "", "answer_fr": ""})
    assert empty.status_code == 422 and count(MunicipalService) == 2
    client.post(f"/callcenter/settings/{world['cycle'].id}/phone-supports", data={"csrf_token": token,
                                                                                  "allowed": "1"})
    assert fresh(Cycle, world["cycle"].id).phone_supports
    html = client.get("/callcenter/dashboard").get_data(as_text=True)
    assert "<table" in html


def test_claim_codes_are_rate_limited(client, login_as, db):
    login_as(Role.RESIDENT)
    token = csrf_token(client, "/callcenter/claim")
    statuses = [client.post("/callcenter/claim", data={"csrf_token": token, "code": "ABCD-EFGH-JKMN"}).status_code
                for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    assert count(ClaimCode) == 0 and count(CallerInterest) == 0
