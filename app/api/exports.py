"""The open-data files of a cycle: proposals (CSV, GeoJSON), results (CSV, JSON) and the anonymised ballot files.

They read the same public rows as the API (``app.api.public``) and state the city's licence in their metadata:
"#" comment lines at the top of a CSV file, a ``licence`` member in JSON and GeoJSON, pabulib's ``comment`` field in
a ballot file (written when the count is made). CSV files go through ``app.core.csvfile``: no cell runs a formula.
"""

from flask import current_app
from flask_babel import gettext

from app.api import public
from app.core.clock import utcnow
from app.core.csvfile import csv_text, euros_plain
from app.cycles.models import Cycle
from app.proposals.services import status_label
from app.results import services as results_services
from app.results.exports import results_header, results_rows


def licence() -> dict:
    config = current_app.config
    return {"name": config["DATA_LICENCE"], "url": config["DATA_LICENCE_URL"], "spdx": config["DATA_LICENCE_SPDX"]}


def _comments(cycle: Cycle, what: str) -> list[str]:
    config = current_app.config
    return [f"{what} – {cycle.title} – {config['CITY_NAME']}",
            gettext("Licence: %(name)s (%(url)s)", name=config["DATA_LICENCE"], url=config["DATA_LICENCE_URL"]),
            gettext("Generated on %(date)s", date=utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"))]


def proposals_csv(cycle: Cycle, web_url) -> str:
    header = [gettext("Number"), gettext("Title"), gettext("Ballot title"), gettext("Status"),
              gettext("Status (code)"), gettext("District"), gettext("Theme"), gettext("Author"),
              gettext("Latitude"), gettext("Longitude"), gettext("Address"), gettext("Resident's estimate (€)"),
              gettext("City cost (€)"), gettext("Supports"), gettext("Comments"), gettext("Submitted on"),
              gettext("Web page")]
    rows = []
    for proposal in public.cycle_proposals(cycle):
        data = public.proposal_data(proposal, {})
        rows.append((
            data["id"], data["title"], data["ballot_title"] or "", status_label(proposal.status), data["status"],
            data["district"]["name"] if data["district"] else gettext("Whole city"),
            data["category"]["name"] if data["category"] else "", data["author"] or "",
            "" if data["latitude"] is None else data["latitude"],
            "" if data["longitude"] is None else data["longitude"], data["address"] or "",
            euros_plain(data["estimated_cost_cents"]), euros_plain(data["city_cost_cents"]),
            data["supports_count"], data["comments_count"],
            data["submitted_at"].date().isoformat() if data["submitted_at"] else "", web_url(proposal.id),
        ))
    return csv_text(header, rows, comments=_comments(cycle, gettext("Proposals")))


def _iso(value):
    return value.isoformat() if value is not None else None


def proposals_geojson(cycle: Cycle, web_url) -> dict:
    """Proposals with a point on the map (RFC 7946; licence, source and title as foreign members)."""
    features = []
    for proposal in public.cycle_proposals(cycle):
        if not proposal.has_location:
            continue
        data = public.proposal_data(proposal, {})
        properties = {key: data[key] for key in (
            "id", "title", "ballot_title", "status", "author", "address", "estimated_cost_cents", "city_cost_cents",
            "supports_count", "comments_count")}
        properties.update(cycle=cycle.slug, status_label=status_label(proposal.status),
                          district=data["district"]["name"] if data["district"] else None,
                          category=data["category"]["name"] if data["category"] else None,
                          submitted_at=_iso(data["submitted_at"]), url=web_url(proposal.id))
        features.append({"type": "Feature", "id": proposal.id,
                         "geometry": {"type": "Point", "coordinates": [proposal.longitude, proposal.latitude]},
                         "properties": properties})
    return {"type": "FeatureCollection", "name": f"{cycle.slug}-proposals", "title": cycle.title,
            "licence": licence(), "publisher": current_app.config["CITY_NAME"],
            "generated_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), "features": features}


def results_csv(cycle: Cycle, run) -> str:
    rows = [row for envelope in results_services.ordered_envelopes(run) for row in results_rows(run, envelope)]
    return csv_text(results_header(), rows, comments=_comments(cycle, gettext("Results")))


def results_json(cycle: Cycle, run, ballot_file_url) -> dict:
    data = public.results_data(cycle, run, ballot_file_url)
    data["published_at"] = _iso(data["published_at"])
    return {"licence": licence(), "publisher": current_app.config["CITY_NAME"], "title": cycle.title, **data}


def ballot_file(cycle: Cycle, key: str) -> str | None:
    """The anonymised ballot file (pabulib, voters in a random order) of an envelope, once it may be published."""
    if not public.ballot_file_public(cycle):
        return None
    envelope = results_services.envelope_of(public.public_run(cycle), key)
    return envelope.ballot_file if envelope is not None else None
