"""The public read-only API, ``/api/v1/``: JSON for anyone, no account, no cookie needed.

Every route is declared with ``@operation``, which registers it on the blueprint (GET only) and in the OpenAPI
document (``app.api.spec``) with its parameters and responses. Answers carry an ETag (``If-None-Match`` gets 304),
CORS headers for any origin, and are rate limited per address (``API_RATE_LIMIT``); errors are JSON with a message
in the language of ``Accept-Language`` (fr, en or nl; English when it names none of them).
"""

import math
import re
from dataclasses import dataclass, field

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.api import public
from app.api import schemas as s
from app.core.errors import answer_json_under, json_error
from app.extensions import csrf, db, limiter
from app.proposals.models import Proposal, ProposalStatus
from app.proposals.search import listing_conditions, listing_order

PREFIX = "/api/v1"
VERSION = "1.0.0"

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)  # nothing here writes; only GET (and the automatic HEAD and OPTIONS) are routed

# One budget per address for the API and the open-data downloads together.
open_data_limit = limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="open-data")
open_data_limit(bp)


@bp.record_once
def _json_errors(state):
    answer_json_under(state.app, PREFIX + "/")
    answer_json_under(state.app, PREFIX)


# --- Declaring operations -----------------------------------------------------------------------------------------

@dataclass
class Operation:
    rule: str
    endpoint: str
    summary: object
    description: object
    response: type
    args: type | None = None
    path_params: dict = field(default_factory=dict)  # name -> (OpenAPI schema, description)
    errors: tuple = (404,)
    tag: str = "data"

    @property
    def path(self) -> str:
        return PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.rule)


OPERATIONS: list[Operation] = []
SLUG_PARAM = ({"type": "string", "pattern": s.SLUG_PATTERN}, _l("The budget cycle's slug, as in its web address."))
ID_PARAM = ({"type": "integer", "minimum": 1, "maximum": public.MAX_ID}, _l("The proposal's number."))


def operation(rule: str, *, summary, description, response, args=None, path_params=None, errors=(404,), tag="data"):
    def register(view):
        OPERATIONS.append(Operation(rule, view.__name__, summary, description, response, args, path_params or {},
                                    errors, tag))
        return bp.route(rule, methods=["GET"], strict_slashes=False)(view)

    return register


# --- Answers ------------------------------------------------------------------------------------------------------

def answer(schema: type, data) -> Response:
    return jsonify(schema().dump(data))


def _link(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def paginate(query, args: dict, endpoint: str, present, **values) -> dict:
    """A page of ``query`` (already in a stable order) with its links; also sets the ``Link`` header."""
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    extra = {k: v for k, v in values.items() if v not in (None, "")}

    def page_url(number: int) -> str:
        return _link(endpoint, page=number, per_page=per_page, **extra)

    pagination = {"page": page, "per_page": per_page, "total": total, "pages": pages, "first": page_url(1),
                  "last": page_url(pages), "prev": page_url(min(page - 1, pages)) if page > 1 else None,
                  "next": page_url(page + 1) if page < pages else None}
    return {"items": [present(row) for row in rows], "pagination": pagination}


def _link_header(pagination: dict) -> str:
    return ", ".join(f'<{pagination[rel]}>; rel="{rel}"' for rel in ("first", "prev", "next", "last")
                     if pagination.get(rel))


def page_answer(schema: type, data: dict) -> Response:
    response = answer(schema, data)
    response.headers["Link"] = _link_header(data["pagination"])
    return response


def _cycle_links(cycle) -> dict:
    links = {"self": _link("api.cycle", slug=cycle.slug),
             "proposals": _link("api.proposals", cycle=cycle.slug),
             "tracking": _link("api.tracking", slug=cycle.slug),
             "web": _link("cycles.show", slug=cycle.slug),
             "datasets": _link("opendata.catalogue") + f"#cycle-{cycle.slug}"}
    if public.public_run(cycle) is not None:
        links["results"] = _link("api.results", slug=cycle.slug)
    return links


def _proposal_links(proposal) -> dict:
    return {"self": _link("api.proposal", proposal_id=proposal.id),
            "web": _link("proposals.show", proposal_id=proposal.id),
            "cycle": _link("api.cycle", slug=proposal.cycle.slug)}


def _cycle_or_404(slug: str):
    return public.cycle_by_slug(slug) or abort(404)


# --- Routes -------------------------------------------------------------------------------------------------------

@operation("/", summary=_l("Entry point"), description=_l("Links to every resource, the licence and the document."),
           response=s.Index, errors=(), tag="meta")
def index():
    config = current_app.config
    return answer(s.Index, {
        "name": f"Budget Commun – {config['CITY_NAME']}", "version": VERSION,
        "licence": {"name": config["DATA_LICENCE"], "url": config["DATA_LICENCE_URL"]},
        "links": {"cycles": _link("api.cycles"), "districts": _link("api.districts"),
                  "categories": _link("api.categories"), "proposals": _link("api.proposals"),
                  "openapi": _link("api.openapi"), "documentation": _link("opendata.api_docs"),
                  "catalogue": _link("opendata.catalogue"), "dcat": _link("opendata.dcat")},
    })


@operation("/cycles", summary=_l("Budget cycles"), response=s.CyclePage, args=s.PageArgs, errors=(),
           description=_l("The city's budget cycles, newest first, with their phases, envelopes and ballot rules."))
def cycles():
    args = s.load_args(s.PageArgs(), request.args)
    data = paginate(public.cycles_query(), args, "api.cycles", lambda c: public.cycle_data(c, _cycle_links(c)))
    return page_answer(s.CyclePage, data)


@operation("/cycles/<slug>", summary=_l("One budget cycle"), response=s.Cycle, path_params={"slug": SLUG_PARAM},
           description=_l("A budget cycle with its phases (dates in UTC), envelopes and ballot rules."))
def cycle(slug: str):
    found = _cycle_or_404(slug)
    return answer(s.Cycle, public.cycle_data(found, _cycle_links(found)))


@operation("/cycles/<slug>/results", summary=_l("Published results"), response=s.Results,
           path_params={"slug": SLUG_PARAM},
           description=_l("The published count of a cycle: rule, turnout per channel and, per envelope, every "
                          "project's votes, whether it was funded and why. 404 until the results are public."))
def results(slug: str):
    found = _cycle_or_404(slug)
    run = public.public_run(found) or abort(404)
    return answer(s.Results, public.results_data(
        found, run, lambda key: _link("opendata.ballot_file", slug=found.slug, key=key)))


@operation("/cycles/<slug>/tracking", summary=_l("What became of the funded projects"), response=s.Tracking,
           path_params={"slug": SLUG_PARAM},
           description=_l("Each selected project's status, progress, budget and dated public updates."))
def tracking(slug: str):
    return answer(s.Tracking, public.tracking_data(_cycle_or_404(slug)))


@operation("/districts", summary=_l("Districts"), response=s.DistrictPage, args=s.PageArgs, errors=(),
           description=_l("The city's districts, by name."))
def districts():
    args = s.load_args(s.PageArgs(), request.args)
    return page_answer(s.DistrictPage, paginate(public.districts_query(), args, "api.districts",
                                                public.district_data))


@operation("/categories", summary=_l("Themes"), response=s.CategoryPage, args=s.PageArgs, errors=(),
           description=_l("The themes of proposals, with their names in French, English and Dutch."))
def categories():
    args = s.load_args(s.PageArgs(), request.args)
    return page_answer(s.CategoryPage, paginate(public.categories_query(), args, "api.categories",
                                                public.category_data))


@operation("/proposals", summary=_l("Proposals"), response=s.ProposalPage, args=s.ProposalArgs, errors=(),
           description=_l("The proposals anyone can read on the site, with the filters of the web listing. "
                          "Drafts, withdrawn proposals and those hidden by moderation are never listed."))
def proposals():
    args = s.load_args(s.ProposalArgs(), request.args)
    cycle_id = None
    if args.get("cycle"):
        cycle = public.cycle_by_slug(args["cycle"])
        cycle_id = cycle.id if cycle else -1  # an unknown cycle has no proposal: an empty page
    district = args.get("district")
    conditions = listing_conditions(
        db.session, cycle_id=cycle_id, q=args.get("q") or "",
        district_id=-1 if district == "city" else (int(district) if district else None),
        category_id=args.get("category"), status=ProposalStatus(args["status"]) if args.get("status") else None)
    query = select(Proposal).where(*conditions, *public.proposal_conditions()).order_by(*listing_order(args["sort"]))
    filters = {k: args.get(k) for k in ("cycle", "district", "category", "status", "q")}
    if args["sort"] != "newest":
        filters["sort"] = args["sort"]
    data = paginate(query, args, "api.proposals", lambda p: public.proposal_data(p, _proposal_links(p)), **filters)
    return page_answer(s.ProposalPage, data)


@operation("/proposals/<int:proposal_id>", summary=_l("One proposal"), response=s.ProposalDetail,
           path_params={"proposal_id": ID_PARAM},
           description=_l("A proposal with its text (Markdown) and the public history of its statuses."))
def proposal(proposal_id: int):
    found = public.public_proposal(proposal_id) or abort(404)
    return answer(s.ProposalDetail, public.proposal_data(found, _proposal_links(found), detail=True))


@operation("/openapi.json", summary=_l("This API's OpenAPI 3 document"), response=None, errors=(), tag="meta",
           description=_l("Generated from the code that serves the API."))
def openapi():
    from app.api.spec import openapi_document

    return jsonify(openapi_document())


# --- Errors and headers -------------------------------------------------------------------------------------------

@bp.errorhandler(s.BadParameters)
def bad_parameters(error: s.BadParameters):
    return json_error(400, _("Malformed parameters: %(names)s.", names=", ".join(error.fields)),
                      parameters=error.fields)


CORS_EXPOSED = "ETag, Link, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"


@bp.after_app_request
def api_headers(response: Response) -> Response:
    """CORS for any origin, caching by ETag (304 on ``If-None-Match``), language in ``Vary``."""
    if not request.path.startswith(PREFIX):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept-Language, If-None-Match, If-Modified-Since"
        response.headers["Access-Control-Max-Age"] = "86400"
    response.vary.add("Accept-Language")
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.cache_control.public = True
        response.cache_control.max_age = 60
        response.add_etag()
        response.make_conditional(request)
    return response
