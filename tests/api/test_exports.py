"""Open-data downloads and the catalogue: contents, licence in every file, and nothing before it may be published."""

import csv
import io
import json

import pytest

from app import create_app
from app.config import TestConfig
from tests.api.conftest import SECRETS

EN = {"Accept-Language": "en"}


def read_csv(response) -> tuple[list[str], list[list[str]]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    comments = [row[0] for row in rows if row and row[0].startswith("#")]
    return comments, [row for row in rows if row and not row[0].startswith("#")]


def test_proposals_csv_has_the_public_proposals_the_licence_and_neutralised_cells(client, published):
    published.located.title = "=HYPERLINK(\"http://evil\")"
    from app.extensions import db

    db.session.commit()
    response = client.get(f"/data/{published.slug}/proposals.csv", headers=EN)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert 'rel="license"' in response.headers["Link"]
    comments, rows = read_csv(response)
    assert any("Licence Ouverte" in c and "etalab.gouv.fr" in c for c in comments)
    header, lines = rows[0], rows[1:]
    assert header[:2] == ["Number", "Title"] and len(lines) == 11
    titles = {line[1] for line in lines}
    assert "'=HYPERLINK(\"http://evil\")" in titles
    assert not titles & {SECRETS["hidden"], SECRETS["draft"], SECRETS["withdrawn"]}
    located = next(line for line in lines if line[0] == str(published.located.id))
    assert "Author Publicname" in located and "50.6365" in located


def test_geojson_has_located_proposals_only_with_the_licence(client, published):
    data = client.get(f"/data/{published.slug}/proposals.geojson").get_json(force=True)
    assert data["type"] == "FeatureCollection"
    assert data["licence"]["url"].startswith("https://www.etalab.gouv.fr")
    assert [f["id"] for f in data["features"]] == [published.located.id]  # the hidden one has a point too
    assert data["features"][0]["geometry"] == {"type": "Point", "coordinates": [3.0635, 50.6365]}


def test_results_csv_and_json_once_published(client, published, upcoming):
    for name in ("results.csv", "results.json", "ballots-city.pb"):
        assert client.get(f"/data/{upcoming.slug}/{name}").status_code == 404
    comments, rows = read_csv(client.get(f"/data/{published.slug}/results.csv", headers=EN))
    assert any("Licence" in c for c in comments)
    assert rows[0][0] == "Envelope" and len(rows) - 1 == 10  # every project of the three envelopes
    data = json.loads(client.get(f"/data/{published.slug}/results.json").get_data(as_text=True))
    assert data["licence"]["spdx"] == "etalab-2.0" and len(data["envelopes"]) == 3


def test_ballot_files_are_published_with_the_results_and_carry_the_licence(client, published):
    key = published.city.district.slug
    response = client.get(f"/data/{published.slug}/ballots-{key}.pb")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("META") and "#2: open data under the Licence Ouverte" in text
    assert client.get(f"/data/{published.slug}/ballots-nowhere.pb").status_code == 404


def test_no_ballot_file_before_voting_closes_even_if_a_run_is_published(client, published):
    from datetime import timedelta

    from app.core.clock import utcnow
    from app.cycles.models import PhaseKind
    from app.extensions import db

    voting = next(p for p in published.city.cycle.phases if p.kind == PhaseKind.VOTING)
    voting.ends_at = utcnow() + timedelta(days=400)  # voting reopened (extended) after publication
    for phase in published.city.cycle.phases:
        if phase.kind.order > PhaseKind.VOTING.order:
            phase.starts_at = voting.ends_at + timedelta(days=phase.kind.order)
            phase.ends_at = None if phase.kind == PhaseKind.CLOSED else phase.starts_at + timedelta(hours=12)
    db.session.commit()
    assert client.get(f"/data/{published.slug}/ballots-city.pb").status_code == 404


def test_downloads_support_conditional_requests(client, published):
    path = f"/data/{published.slug}/results.json"
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_catalogue_page_lists_every_dataset_with_its_licence(client, published, upcoming):
    html = client.get("/data/", headers=EN).get_data(as_text=True)
    assert "Licence Ouverte" in html and html.count("<h1") == 1
    for identifier in (f"{published.slug}-proposals", f"{published.slug}-results", f"{published.slug}-ballots",
                       f"{published.slug}-tracking", f"{upcoming.slug}-proposals"):
        assert f'id="{identifier}"' in html
    assert f'id="{upcoming.slug}-results"' not in html


def test_dcat_catalogue_is_harvestable(client, published):
    response = client.get("/data/catalog.jsonld", headers=EN)
    assert response.mimetype == "application/ld+json"
    data = json.loads(response.get_data(as_text=True))
    assert data["@type"] == "dcat:Catalog" and "dcat" in data["@context"]
    datasets = {d["dct:identifier"]: d for d in data["dcat:dataset"]}
    results = datasets[f"{published.slug}-results"]
    assert results["@type"] == "dcat:Dataset" and results["dct:title"] and results["dct:description"]
    assert results["dct:license"]["@id"].startswith("https://www.etalab.gouv.fr")
    assert results["dct:modified"]["@type"] == "xsd:dateTime"
    formats = {d["dct:format"]: d for d in results["dcat:distribution"]}
    assert formats["CSV"]["dcat:mediaType"]["@id"].endswith("text/csv")
    # every distribution can be downloaded
    for dataset in datasets.values():
        for distribution in dataset["dcat:distribution"]:
            url = distribution["dcat:accessURL"]["@id"].replace("http://localhost", "")
            assert client.get(url).status_code == 200, url


def test_the_docs_page_documents_every_route(client, db):
    html = client.get("/data/api", headers=EN).get_data(as_text=True)
    document = client.get("/api/v1/openapi.json", headers=EN).get_json()
    for path in document["paths"]:
        assert f"GET {path}" in html


def test_the_licence_is_a_configuration_choice(tmp_path):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite'}",
                     DATA_LICENCE_ID="odbl-1.0")
    assert app.config["DATA_LICENCE"].startswith("Open Database License")
    assert app.config["DATA_LICENCE_URL"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    with pytest.raises(ValueError, match="DATA_LICENCE_ID"):
        create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite'}", DATA_LICENCE_ID="cc0")
