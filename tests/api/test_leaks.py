"""Walk the whole API and every open-data file: no e-mail address, no hidden or unpublished content, no staff note,
no caller data, nothing that links a voter to a ballot (ballot ids, receipt hashes, voter keys)."""

import json
import re
from collections import deque

from app.accounts.models import Role
from tests.factories import make_user

URL = re.compile(r"https?://localhost(/[^\s\"'<>]*)")


def walk(client, start: list[str], limit: int = 400) -> dict[str, str]:
    """Every address reachable from ``start`` by the links in the answers (API, catalogue, downloads)."""
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or not (path.startswith("/api/v1") or path.startswith("/data")):
            continue
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        seen[path] = text
        queue.extend(URL.findall(text.replace("\\/", "/")))
        queue.extend(re.findall(r'href="(/(?:api/v1|data)[^"]*)"', text))
    return seen


def test_nothing_personal_hidden_or_unpublished_leaves_through_the_api_or_the_files(client, published, upcoming):
    staff = make_user(Role.OFFICIAL, email="official.secret@example.org")
    from app.extensions import db

    db.session.commit()
    answers = walk(client, ["/api/v1/", "/data/", "/data/catalog.jsonld", "/data/api"])
    paths = set(answers)
    # the walk reached every kind of answer
    assert {f"/data/{published.slug}/proposals.csv", f"/data/{published.slug}/proposals.geojson",
            f"/data/{published.slug}/results.csv", f"/data/{published.slug}/results.json",
            f"/data/{published.slug}/ballots-city.pb", f"/api/v1/cycles/{published.slug}/results",
            f"/api/v1/cycles/{published.slug}/tracking", f"/api/v1/proposals/{published.located.id}"} <= paths
    everything = "\n".join(answers.values())
    for email in [*published.emails, staff.email]:
        assert email not in everything
    assert "@example" not in everything
    for secret in published.secrets:
        assert secret not in everything, secret
    assert "staff_notes" not in everything and "reviewer" not in everything
    for path, text in answers.items():
        if path.endswith(".json") or path.startswith("/api/v1"):
            assert "voter_key" not in text and "receipt" not in text, path
    json.loads(answers["/data/catalog.jsonld"])


def test_people_appear_only_by_their_public_name(client, published, monkeypatch):
    """The privacy settings decide ``User.public_name`` (a pseudonym, "former participant"): the API and every file
    must show that, never the display name."""
    from app.accounts.models import User

    monkeypatch.setattr(User, "public_name", property(lambda user: f"Pseudonyme {user.id}"))
    answers = walk(client, ["/api/v1/", "/data/"])
    everything = "\n".join(answers.values())
    assert "Author Publicname" not in everything
    assert f"Pseudonyme {published.author.id}" in answers[f"/api/v1/proposals/{published.located.id}"]
    assert f"Pseudonyme {published.author.id}" in answers[f"/data/{published.slug}/proposals.csv"]
    assert f"Pseudonyme {published.author.id}" in answers[f"/data/{published.slug}/proposals.geojson"]
