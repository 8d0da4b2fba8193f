"""Open data for people: the data catalogue, its DCAT twin, the API documentation and the downloads of each cycle.

Downloads share the rate limit of the API (``API_RATE_LIMIT``), carry an ETag (a repeated download with
``If-None-Match`` gets 304), a ``Link: rel="license"`` header, and may be fetched from any origin (CORS).
"""

import json

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from app.api import exports, public
from app.api.catalogue import datasets, dcat_catalogue
from app.api.views import open_data_limit

bp = Blueprint("opendata", __name__, url_prefix="/data", template_folder="templates")
open_data_limit(bp)


def _cycle(slug: str):
    return public.cycle_by_slug(slug) or abort(404)


def _web_url(proposal_id: int) -> str:
    return url_for("proposals.show", proposal_id=proposal_id, _external=True)


def download(body: str, mimetype: str, filename: str | None = None) -> Response:
    response = Response(body, mimetype=mimetype)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Link"] = f'<{current_app.config["DATA_LICENCE_URL"]}>; rel="license"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Language")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.add_etag()
    return response.make_conditional(request)


def _json(data: dict, mimetype: str = "application/json", filename: str | None = None) -> Response:
    return download(json.dumps(data, ensure_ascii=False, indent=1, default=str), mimetype, filename)


@bp.route("/")
def catalogue():
    return render_template("api/catalogue.html", datasets=datasets(), licence=exports.licence())


@bp.route("/catalog.jsonld")
def dcat():
    return _json(dcat_catalogue(datasets()), "application/ld+json")


@bp.route("/api")
def api_docs():
    from app.api.spec import openapi_document

    return render_template("api/docs.html", document=openapi_document(), licence=exports.licence())


@bp.route("/<slug>/proposals.csv")
def proposals_csv(slug: str):
    cycle = _cycle(slug)
    return download("\ufeff" + exports.proposals_csv(cycle, _web_url), "text/csv", f"{slug}-proposals.csv")


@bp.route("/<slug>/proposals.geojson")
def proposals_geojson(slug: str):
    cycle = _cycle(slug)
    return _json(exports.proposals_geojson(cycle, _web_url), "application/geo+json", f"{slug}-proposals.geojson")


def _run(cycle):
    return public.public_run(cycle) or abort(404)


@bp.route("/<slug>/results.csv")
def results_csv(slug: str):
    cycle = _cycle(slug)
    return download("\ufeff" + exports.results_csv(cycle, _run(cycle)), "text/csv", f"{slug}-results.csv")


@bp.route("/<slug>/results.json")
def results_json(slug: str):
    cycle = _cycle(slug)
    data = exports.results_json(cycle, _run(cycle), lambda key: url_for(
        "opendata.ballot_file", slug=slug, key=key, _external=True))
    return _json(data, filename=f"{slug}-results.json")


@bp.route("/<slug>/ballots-<key>.pb")
def ballot_file(slug: str, key: str):
    body = exports.ballot_file(_cycle(slug), key)
    if body is None:
        abort(404)
    return download(body, "text/plain", f"{slug}-{key}.pb")
