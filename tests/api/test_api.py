"""The public API through the test client: each resource, pagination, filters, caching, CORS, limits and errors."""

import pytest

from app.extensions import db
from app.proposals.models import ProposalStatus
from tests.factories import make_category, make_district, make_proposal

EN = {"Accept-Language": "en"}


def get(client, path, **headers):
    response = client.get(path, headers=headers or EN)
    return response, response.get_json()


def test_index_links_every_resource_and_states_the_licence(client, db):
    response, data = get(client, "/api/v1/")
    assert response.status_code == 200
    assert data["licence"]["name"].startswith("Licence Ouverte")
    for name in ("cycles", "districts", "categories", "proposals", "openapi", "catalogue", "dcat"):
        assert client.get(data["links"][name]).status_code == 200


def test_cycles_give_phases_envelopes_and_rules(client, published):
    _response, data = get(client, "/api/v1/cycles")
    cycle = next(c for c in data["items"] if c["slug"] == published.slug)
    assert [p["kind"] for p in cycle["phases"]] == ["submission", "review", "voting", "results", "implementation",
                                                     "closed"]
    assert cycle["current_phase"] == "results" and cycle["results_published"] is True
    assert {e["district"]["name"] for e in cycle["envelopes"]} == {"Wazemmes", "Fives"}
    assert cycle["rules"]["kind"] == "approval" and cycle["rules"]["counting_rule"] == "mes-cost+add1"
    assert cycle["phases"][0]["starts_at"].endswith("+00:00")
    _response, one = get(client, f"/api/v1/cycles/{published.slug}")
    assert one == cycle
    assert client.get(cycle["links"]["results"]).status_code == 200


def test_districts_and_categories(client, published):
    _response, districts = get(client, "/api/v1/districts?per_page=100")
    assert {"Wazemmes", "Fives"} <= {d["name"] for d in districts["items"]}
    _response, categories = get(client, "/api/v1/categories?per_page=100")
    theme = next(c for c in categories["items"] if c["names"]["fr"] == "Mobilité")
    assert theme["name"] == "Theme " + theme["names"]["en"].split()[-1]  # English asked, English given


def test_a_proposal_has_public_fields_history_location_and_counts(client, published):
    response, data = get(client, f"/api/v1/proposals/{published.located.id}")
    assert response.status_code == 200
    assert data["author"] == "Author Publicname"
    assert (data["latitude"], data["longitude"], data["address"]) == (50.6365, 3.0635, "Place Rihour")
    assert data["history"][-1] == {"at": data["history"][-1]["at"], "from_status": "submitted",
                                   "to_status": "under_review", "reason": "Étude en cours"}
    assert data["supports_count"] == 0 and data["comments_count"] == 0
    assert data["city_cost_cents"] is None  # not public before the review says it is feasible
    assert "staff_notes" not in data and "email" not in str(data)


@pytest.mark.parametrize("title", ["HIDDEN-proposal-title", "DRAFT-proposal-title", "WITHDRAWN-proposal-title"])
def test_hidden_draft_and_withdrawn_proposals_are_neither_listed_nor_readable(client, published, title):
    from sqlalchemy import select

    from app.proposals.models import Proposal

    proposal_id = db.session.scalar(select(Proposal.id).where(Proposal.title == title))
    assert client.get(f"/api/v1/proposals/{proposal_id}").status_code == 404
    _response, data = get(client, f"/api/v1/proposals?cycle={published.slug}&per_page=100")
    assert title not in {p["title"] for p in data["items"]}


def test_pagination_is_stable_complete_and_linked(client, published):
    _response, first = get(client, f"/api/v1/proposals?cycle={published.slug}&per_page=4")
    pagination = first["pagination"]
    assert pagination["total"] == 11 and pagination["pages"] == 3 and pagination["prev"] is None
    seen = [p["id"] for p in first["items"]]
    response, page = get(client, pagination["next"].replace("http://localhost", ""))
    assert 'rel="prev"' in response.headers["Link"] and 'rel="next"' in response.headers["Link"]
    while True:
        seen += [p["id"] for p in page["items"]]
        if not page["pagination"]["next"]:
            break
        _response, page = get(client, page["pagination"]["next"].replace("http://localhost", ""))
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 11  # newest first, nothing twice
    _response, oldest = get(client, f"/api/v1/proposals?cycle={published.slug}&sort=oldest&per_page=100")
    assert [p["id"] for p in oldest["items"]] == sorted(seen)
    _response, beyond = get(client, f"/api/v1/proposals?cycle={published.slug}&per_page=4&page=9")
    assert beyond["items"] == [] and beyond["pagination"]["next"] is None


def test_per_page_is_capped_by_the_configuration(client, published, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_PER_PAGE", 3)
    _response, data = get(client, "/api/v1/proposals?per_page=100")
    assert len(data["items"]) == 3 and data["pagination"]["per_page"] == 3


def test_filters_match_the_web_listing(client, published):
    city = published.city
    other = make_district("Vauban")
    theme = make_category("Nature")
    make_proposal(city.cycle, title="Jardin partagé des pistes cyclables", district=other, category=theme)
    db.session.commit()
    base = f"/api/v1/proposals?cycle={published.slug}&per_page=100"

    def titles(query):
        return {p["title"] for p in get(client, base + query)[1]["items"]}

    assert titles(f"&district={other.id}") == {"Jardin partagé des pistes cyclables"}
    assert titles(f"&category={theme.id}") == {"Jardin partagé des pistes cyclables"}
    assert titles("&q=piste%20cyclable") == {"Jardin partagé des pistes cyclables"}  # same search as the web
    assert titles("&district=city") == {f"Projet ville {n}" for n in range(1, 7)}
    assert titles("&status=under_review") == {"Bancs place Rihour"}
    supported = get(client, base + "&sort=supported")[1]["items"]
    assert [p["supports_count"] for p in supported] == sorted((p["supports_count"] for p in supported), reverse=True)


@pytest.mark.parametrize("query", ["page=0", "page=abc", "per_page=101", "per_page=-1", "category=x", "status=draft",
                                   "status=nope", "sort=random", "district=ville", "cycle=Not%20A%20Slug",
                                   "q=%00", "q=" + "x" * 201, "page=99999999999999999999"])
def test_malformed_parameters_get_400_with_a_message_naming_them(client, db, query):
    response, data = get(client, "/api/v1/proposals?" + query)
    name = query.split("=")[0]
    assert response.status_code == 400
    assert data["error"]["status"] == 400 and name in data["error"]["message"] and name in data["error"]["parameters"]


def test_unknown_filter_values_give_empty_pages_and_unknown_ids_404(client, published):
    for query in ("cycle=no-such-budget", "district=999999", "category=999999"):
        response, data = get(client, "/api/v1/proposals?" + query)
        assert response.status_code == 200 and data["items"] == [] and data["pagination"]["total"] == 0
    for path in ("/api/v1/proposals/2147483647", "/api/v1/proposals/99999999999999999999", "/api/v1/cycles/nope",
                 "/api/v1/cycles/nope/results", "/api/v1/cycles/nope/tracking", "/api/v1/nowhere",
                 "/api/v1/cycles/%00"):
        response, data = get(client, path)
        assert response.status_code == 404, path
        assert data["error"]["status"] == 404 and data["error"]["message"]


def test_writing_methods_get_405_in_json_and_need_no_csrf(client, db):
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/api/v1/proposals", headers=EN)
        assert response.status_code == 405
        assert "GET" in response.get_json()["error"]["message"]


def test_error_messages_follow_accept_language_else_english(client, db):
    assert "Malformed" in get(client, "/api/v1/proposals?page=0", **{"Accept-Language": "de"})[1]["error"]["message"]
    french = get(client, "/api/v1/proposals?page=0", **{"Accept-Language": "fr"})[1]["error"]
    assert "page" in french["message"] and "Malformed" not in french["message"]
    dutch = get(client, "/api/v1/nowhere", **{"Accept-Language": "nl"})[1]["error"]["message"]
    assert dutch != get(client, "/api/v1/nowhere")[1]["error"]["message"]


def test_results_are_404_until_published_then_give_winners_votes_spending_and_explanations(client, published,
                                                                                            upcoming):
    assert client.get(f"/api/v1/cycles/{upcoming.slug}/results").status_code == 404
    _response, data = get(client, f"/api/v1/cycles/{published.slug}/results")
    assert data["voters"] == 13 and data["voters_by_channel"] == {"paper": 2, "phone": 1, "web": 10}
    wazemmes = next(e for e in data["envelopes"] if e["envelope"] == published.city.district.slug)
    assert len(wazemmes["winners"]) == 2 and wazemmes["spent_cents"] <= wazemmes["budget_cents"]
    assert all(p["explanation"] for p in wazemmes["projects"])
    assert wazemmes["ballot_file"].endswith(f"/data/{published.slug}/ballots-{published.city.district.slug}.pb")


def test_tracking_lists_the_funded_projects(client, published):
    _response, data = get(client, f"/api/v1/cycles/{published.slug}/tracking")
    assert data["totals"]["projects"] == len(data["items"]) > 0
    assert {item["status"] for item in data["items"]} <= {"planned", "in_progress", "done", "cancelled"}


def test_etag_and_conditional_requests(client, published):
    path = f"/api/v1/proposals/{published.located.id}"
    response = client.get(path, headers=EN)
    etag = response.headers["ETag"]
    assert "public" in response.headers["Cache-Control"]
    again = client.get(path, headers={**EN, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    published.located.supports_count = 5
    db.session.commit()
    changed = client.get(path, headers={**EN, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_cors_lets_any_origin_read(client, db):
    response = client.get("/api/v1/cycles", headers={**EN, "Origin": "https://example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v1/cycles", headers={"Origin": "https://example.com",
                                                           "Access-Control-Request-Method": "GET",
                                                           "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert client.get("/api/v1/nowhere").headers["Access-Control-Allow-Origin"] == "*"  # errors too


def test_rate_limit_answers_429_in_json_with_retry_after(client, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    for _n in range(3):
        assert client.get("/api/v1/districts").status_code == 200
    assert client.get("/data/catalog.jsonld").status_code == 429  # one budget for the API and the downloads
    response = client.get("/api/v1/districts", headers=EN)
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert "Too many requests" in response.get_json()["error"]["message"]


def test_the_openapi_document_lists_every_route(client, app, db):
    document = client.get("/api/v1/openapi.json", headers=EN).get_json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["license"]["url"] == app.config["DATA_LICENCE_URL"]
    api_rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    documented = {path.replace("{", "<").replace("}", ">").replace("<proposal_id>", "<int:proposal_id>")
                  for path in document["paths"]}
    assert api_rules == documented
    params = {p["name"] for p in document["paths"]["/api/v1/proposals"]["get"]["parameters"]}
    assert params == {"page", "per_page", "cycle", "district", "category", "status", "q", "sort"}


def test_proposal_status_filter_lists_only_public_statuses(client, db):
    document = client.get("/api/v1/openapi.json").get_json()
    status = next(p for p in document["paths"]["/api/v1/proposals"]["get"]["parameters"] if p["name"] == "status")
    assert ProposalStatus.DRAFT.value not in status["schema"]["enum"]
    assert ProposalStatus.WITHDRAWN.value not in status["schema"]["enum"]
