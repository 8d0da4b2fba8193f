"""The list of every dataset the site publishes, for the catalogue page and its DCAT (JSON-LD) twin.

One function, ``datasets``, says what exists; the page and ``dcat_catalogue`` only present it, so that a data portal
harvesting the JSON-LD sees exactly what a resident sees on the page.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from flask_babel import gettext

from app.api import public
from app.core.clock import as_utc, utcnow
from app.extensions import db
from app.results import services as results_services
from app.results.exports import envelope_name

MEDIA_TYPES = {
    "CSV": "text/csv",
    "GeoJSON": "application/geo+json",
    "JSON": "application/json",
    "pabulib": "text/plain",
}
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass
class Distribution:
    title: str
    format: str  # a key of MEDIA_TYPES
    url: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


@dataclass
class Dataset:
    identifier: str
    title: str
    description: str
    modified: datetime | None
    keywords: list[str]
    distributions: list[Distribution] = field(default_factory=list)
    cycle_slug: str | None = None


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def datasets() -> list[Dataset]:
    city = current_app.config["CITY_NAME"]
    result = [Dataset(
        identifier="referential", title=gettext("Budget cycles, districts and themes"),
        description=gettext("The participatory budget cycles of %(city)s with their phases, envelopes and ballot "
                            "rules; the districts; the themes of proposals.", city=city),
        modified=public.last_modified(), keywords=[gettext("participatory budget"), city],
        distributions=[Distribution(gettext("Budget cycles (API)"), "JSON", _url("api.cycles")),
                       Distribution(gettext("Districts (API)"), "JSON", _url("api.districts")),
                       Distribution(gettext("Themes (API)"), "JSON", _url("api.categories"))],
    )]
    for cycle in db.session.scalars(public.cycles_query()).unique():
        slug = cycle.slug
        modified = public.last_modified(cycle)
        keywords = [gettext("participatory budget"), city, slug]
        result.append(Dataset(
            identifier=f"{slug}-proposals", title=gettext("Proposals – %(cycle)s", cycle=cycle.title),
            description=gettext("Every public proposal of “%(cycle)s”: title, status, district, theme, author's public "
                                "name, location, costs, supports and comments. Drafts, withdrawn proposals and those "
                                "hidden by moderation are left out.", cycle=cycle.title),
            modified=modified, keywords=keywords, cycle_slug=slug,
            distributions=[Distribution(gettext("Proposals (CSV)"), "CSV", _url("opendata.proposals_csv", slug=slug)),
                           Distribution(gettext("Proposals with a location (GeoJSON)"), "GeoJSON",
                                        _url("opendata.proposals_geojson", slug=slug)),
                           Distribution(gettext("Proposals (API)"), "JSON", _url("api.proposals", cycle=slug))],
        ))
        run = public.public_run(cycle)
        if run is None:
            continue
        published = as_utc(run.published_at) if run.published_at else modified
        result.append(Dataset(
            identifier=f"{slug}-results", title=gettext("Results – %(cycle)s", cycle=cycle.title),
            description=gettext("The published count of “%(cycle)s”: the counting rule, the votes of every project, "
                                "the funded projects and why.", cycle=cycle.title),
            modified=published, keywords=keywords, cycle_slug=slug,
            distributions=[Distribution(gettext("Results (CSV)"), "CSV", _url("opendata.results_csv", slug=slug)),
                           Distribution(gettext("Results (JSON)"), "JSON", _url("opendata.results_json", slug=slug)),
                           Distribution(gettext("Results (API)"), "JSON", _url("api.results", slug=slug))],
        ))
        if public.ballot_file_public(cycle):
            result.append(Dataset(
                identifier=f"{slug}-ballots", title=gettext("Anonymised ballots – %(cycle)s", cycle=cycle.title),
                description=gettext("The ballots counted for “%(cycle)s”, one file per envelope in the pabulib format, "
                                    "voters numbered in a random order: anyone can count them again. Nothing in them "
                                    "leads back to a voter.", cycle=cycle.title),
                modified=published, keywords=[*keywords, "pabulib"], cycle_slug=slug,
                distributions=[Distribution(gettext("Ballots: %(envelope)s (pabulib)", envelope=envelope_name(e)),
                                            "pabulib", _url("opendata.ballot_file", slug=slug, key=e.key))
                               for e in results_services.ordered_envelopes(run)],
            ))
        result.append(Dataset(
            identifier=f"{slug}-tracking", title=gettext("Funded projects – %(cycle)s", cycle=cycle.title),
            description=gettext("What became of the projects funded by “%(cycle)s”: status, progress, budget and "
                                "dated updates.", cycle=cycle.title),
            modified=published, keywords=keywords, cycle_slug=slug,
            distributions=[Distribution(gettext("Funded projects (API)"), "JSON", _url("api.tracking", slug=slug))],
        ))
    return result


def _date(value: datetime | None) -> dict:
    value = as_utc(value) if value is not None else utcnow()
    return {"@value": value.strftime("%Y-%m-%dT%H:%M:%SZ"), "@type": "xsd:dateTime"}


def dcat_catalogue(items: list[Dataset]) -> dict:
    """DCAT-AP style catalogue in JSON-LD, as national portals (data.gouv.fr, data.europa.eu) harvest it."""
    config = current_app.config
    licence = {"@id": config["DATA_LICENCE_URL"]}
    language = {"@id": "http://publications.europa.eu/resource/authority/language/"
                       + {"fr": "FRA", "en": "ENG", "nl": "NLD"}.get(config["BABEL_DEFAULT_LOCALE"], "FRA")}
    publisher = {"@type": "foaf:Organization", "foaf:name": config["CITY_NAME"]}
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@id": _url("opendata.dcat"),
        "@type": "dcat:Catalog",
        "dct:title": gettext("Open data of the participatory budget of %(city)s", city=config["CITY_NAME"]),
        "dct:description": gettext("Budget cycles, proposals, results, anonymised ballots and the tracking of funded "
                                   "projects, published by the participatory budget platform."),
        "dct:publisher": publisher,
        "dct:license": licence,
        "dct:language": language,
        "dct:modified": _date(max((d.modified for d in items if d.modified), default=None)),
        "foaf:homepage": {"@id": _url("opendata.catalogue")},
        "dcat:dataset": [{
            "@id": _url("opendata.catalogue") + f"#{d.identifier}",
            "@type": "dcat:Dataset",
            "dct:identifier": d.identifier,
            "dct:title": d.title,
            "dct:description": d.description,
            "dct:publisher": publisher,
            "dct:license": licence,
            "dct:modified": _date(d.modified),
            "dcat:keyword": d.keywords,
            "dcat:landingPage": {"@id": _url("opendata.catalogue") + f"#{d.identifier}"},
            "dcat:distribution": [{
                "@type": "dcat:Distribution",
                "dct:title": dist.title,
                "dct:format": dist.format,
                "dcat:mediaType": {"@id": IANA + dist.media_type},
                "dcat:accessURL": {"@id": dist.url},
                "dcat:downloadURL": {"@id": dist.url},
                "dct:license": licence,
            } for dist in d.distributions],
        } for d in items],
    }
