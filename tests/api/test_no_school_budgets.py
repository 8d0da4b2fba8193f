"""A school's or class's budget is the school's business: the API, the catalogue and the exports never list it."""

import json

from app.schools import services
from tests.schools.conftest import approved_idea, make_class


def test_class_budgets_and_pupils_ideas_stay_out_of_the_api_and_the_catalogue(client, db, published):
    klass, teacher, cards = make_class(cards=1)
    idea = approved_idea(klass, teacher, cards[0].pupil, title="Un toboggan géant")
    db.session.commit()
    cycles = client.get("/api/v1/cycles?per_page=100").get_json()
    slugs = {cycle["slug"] for cycle in cycles["items"]}
    assert published.city.slug in slugs and klass.cycle.slug not in slugs
    assert client.get(f"/api/v1/cycles/{klass.cycle.slug}").status_code == 404
    assert client.get(f"/api/v1/proposals/{idea.proposal_id}").status_code == 404
    everything = json.dumps(client.get("/api/v1/proposals?per_page=100").get_json())
    assert "toboggan" not in everything
    for page in ("/data/", "/data/catalog.jsonld"):
        assert klass.cycle.slug not in client.get(page).get_data(as_text=True)
    assert client.get(f"/data/{klass.cycle.slug}/proposals.csv").status_code == 404
    assert services.class_phase(klass) is not None  # the class budget itself is alive
