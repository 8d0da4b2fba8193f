"""The shapes of the public API: marshmallow schemas that both dump the responses and generate the OpenAPI document.

Responses are dumped through these schemas, so a key that a schema does not declare never leaves the server, and
the document (``app.api.spec``) always describes what is sent. Query parameters are loaded through schemas too: a
malformed value is refused with 400 and a translated message, never passed to the database.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.proposals.models import PUBLIC_STATUSES

MAX_PAGE = 1000
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
# Search words: printable text only (no control character: PostgreSQL refuses NUL in a string).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def _nullable(field_class, *args, **kwargs):
    return field_class(*args, allow_none=True, required=True, **kwargs)


# --- Query parameters ---------------------------------------------------------------------------------------------

class QuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # extra parameters (a cache buster) are ignored


class PageArgs(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE),
                          metadata={"description": _l("Page number, from 1.")})
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100),
                              metadata={"description": _l("Items per page, from 1 to 100.")})


class ProposalArgs(PageArgs):
    cycle = fields.String(validate=validate.Regexp(SLUG_PATTERN),
                          metadata={"description": _l("Only the proposals of this budget cycle (its slug).")})
    district = fields.String(validate=validate.Regexp(r"^(city|[1-9][0-9]{0,8})$"),
                             metadata={"description": _l("A district's number, or “city” for city-wide proposals.")})
    category = fields.Integer(validate=validate.Range(1, 2**31 - 1),
                              metadata={"description": _l("A theme's number.")})
    status = fields.String(validate=validate.OneOf([s.value for s in PUBLIC_STATUSES]),
                           metadata={"description": _l("Only proposals with this status.")})
    q = fields.String(validate=[validate.Length(max=200), validate.Regexp(TEXT_PATTERN)],
                      metadata={"description": _l("Words to search for in the title, text and address.")})
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "oldest", "supported"]),
                         metadata={"description": _l("Order: newest, oldest or most supported first.")})


PARAMETER_HELP = {
    "page": _l("a whole number from 1 to %(max)s", max=MAX_PAGE),
    "per_page": _l("a whole number from 1 to 100"),
    "cycle": _l("the slug of a budget cycle (lower-case letters, digits and hyphens)"),
    "district": _l("a district's number, or “city”"),
    "category": _l("a theme's number"),
    "status": _l("one of: %(values)s", values=", ".join(s.value for s in PUBLIC_STATUSES)),
    "q": _l("text of at most 200 characters"),
    "sort": _l("newest, oldest or supported"),
}


class BadParameters(Exception):
    """Malformed query parameters: each name with what it should be, translated."""

    def __init__(self, fields_: dict[str, str]):
        super().__init__(", ".join(fields_))
        self.fields = fields_


def load_args(schema: Schema, args) -> dict:
    try:
        values = schema.load(args.to_dict())
    except ValidationError as error:
        raise BadParameters({name: str(PARAMETER_HELP.get(name, "")) for name in sorted(error.messages)})
    if "per_page" in values:
        values["per_page"] = min(values["per_page"], current_app.config["API_MAX_PER_PAGE"])
    return values


# --- Responses ----------------------------------------------------------------------------------------------------

class Translations(Schema):
    fr = fields.String(required=True)
    en = fields.String(required=True)
    nl = fields.String(required=True)


class Pagination(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": _l("Number of items on every page.")})
    pages = fields.Integer(required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    prev = _nullable(fields.String)
    next = _nullable(fields.String)


class District(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class Category(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": _l("In the language of the request.")})
    names = fields.Nested(Translations, required=True)
    colour = fields.String(required=True)
    icon = fields.String(required=True)


class Phase(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ["submission", "review", "voting", "results", "implementation", "closed"]))
    starts_at = fields.DateTime(required=True)
    ends_at = _nullable(fields.DateTime)


class Envelope(Schema):
    district = fields.Nested(District, required=True)
    amount_cents = fields.Integer(required=True)
    has_voting = fields.Boolean(required=True)


class Rules(Schema):
    kind = fields.String(required=True, metadata={"description": _l("approval, knapsack, cumulative or majority "
                                                                     "judgment")})
    min_choices = fields.Integer(required=True)
    max_choices = _nullable(fields.Integer)
    min_share_percent = _nullable(fields.Integer)
    points_total = _nullable(fields.Integer)
    points_per_project = _nullable(fields.Integer)
    other_district = fields.Boolean(required=True)
    counting_rule = fields.String(required=True)
    minimum_age = _nullable(fields.Integer)
    census_required = fields.Boolean(required=True)
    frozen = fields.Boolean(required=True)


class Cycle(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    titles = fields.Nested(Translations, required=True)
    description = fields.String(required=True, metadata={"description": _l("Markdown text.")})
    descriptions = fields.Nested(Translations, required=True)
    total_budget_cents = fields.Integer(required=True)
    citywide_envelope_cents = _nullable(fields.Integer)
    support_threshold = fields.Integer(required=True)
    current_phase = _nullable(fields.String)
    phases = fields.List(fields.Nested(Phase), required=True)
    envelopes = fields.List(fields.Nested(Envelope), required=True)
    rules = _nullable(fields.Nested, Rules)
    results_published = fields.Boolean(required=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class StatusChange(Schema):
    at = fields.DateTime(required=True)
    from_status = _nullable(fields.String)
    to_status = fields.String(required=True)
    reason = _nullable(fields.String)


class Proposal(Schema):
    id = fields.Integer(required=True)
    cycle = fields.String(required=True)
    title = fields.String(required=True)
    ballot_title = _nullable(fields.String)
    ballot_summary = _nullable(fields.String)
    status = fields.String(required=True)
    district = _nullable(fields.Nested, District, metadata={"description": _l("None: the whole city.")})
    category = _nullable(fields.Nested, Category)
    author = _nullable(fields.String, metadata={"description": _l("The author's public name.")})
    latitude = _nullable(fields.Float)
    longitude = _nullable(fields.Float)
    address = _nullable(fields.String)
    estimated_cost_cents = _nullable(fields.Integer)
    city_cost_cents = _nullable(fields.Integer)
    public_reason = _nullable(fields.String)
    merged_into = _nullable(fields.Integer)
    supports_count = fields.Integer(required=True)
    comments_count = fields.Integer(required=True)
    submitted_at = _nullable(fields.DateTime)
    updated_at = fields.DateTime(required=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class ProposalDetail(Proposal):
    body = fields.String(required=True, metadata={"description": _l("Markdown text.")})
    history = fields.List(fields.Nested(StatusChange), required=True)


class ResultProject(Schema):
    project_id = fields.String(required=True)
    title = fields.String(required=True)
    cost_cents = fields.Integer(required=True)
    votes = fields.Integer(required=True)
    selected = fields.Boolean(required=True)
    comparison_selected = _nullable(fields.Boolean)
    explanation = fields.List(fields.String(), required=True)
    details = fields.Dict(required=True)


class ResultEnvelope(Schema):
    cycle = fields.String(required=True)
    envelope = fields.String(required=True, metadata={"description": _l("“city”, or the district's slug.")})
    envelope_name = fields.String(required=True)
    rule = fields.String(required=True)
    tie_breaking = fields.String(required=True)
    comparison_rule = _nullable(fields.String)
    published_at = _nullable(fields.String, metadata={"format": "date-time"})
    budget_cents = fields.Integer(required=True)
    spent_cents = fields.Integer(required=True)
    comparison_spent_cents = _nullable(fields.Integer)
    ballots = fields.Integer(required=True)
    blank_ballots = fields.Integer(required=True)
    ballot_file = fields.String(required=True)
    ballot_file_sha256 = fields.String(required=True)
    winners = fields.List(fields.String(), required=True)
    projects = fields.List(fields.Nested(ResultProject), required=True)


class Results(Schema):
    cycle = fields.String(required=True)
    rule = fields.String(required=True)
    tie_breaking = fields.String(required=True)
    comparison_rule = _nullable(fields.String)
    ballot_kind = fields.String(required=True)
    published_at = _nullable(fields.DateTime)
    voters = fields.Integer(required=True)
    voters_by_channel = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    envelopes = fields.List(fields.Nested(ResultEnvelope), required=True)


class TrackingUpdate(Schema):
    date = fields.Date(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)


class TrackingItem(Schema):
    proposal_id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    progress = fields.Integer(required=True)
    planned_cents = fields.Integer(required=True)
    spent_cents = fields.Integer(required=True)
    cancel_reason = _nullable(fields.String)
    updates = fields.List(fields.Nested(TrackingUpdate), required=True)


class TrackingTotals(Schema):
    projects = fields.Integer(required=True)
    planned_cents = fields.Integer(required=True)
    spent_cents = fields.Integer(required=True)
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class Tracking(Schema):
    cycle = fields.String(required=True)
    totals = fields.Nested(TrackingTotals, required=True)
    items = fields.List(fields.Nested(TrackingItem), required=True)


class Licence(Schema):
    name = fields.String(required=True)
    url = fields.String(required=True)


class Index(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
    licence = fields.Nested(Licence, required=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class Error(Schema):
    status = fields.Integer(required=True)
    message = fields.String(required=True)
    parameters = fields.Dict(keys=fields.String(), values=fields.String(),
                             metadata={"description": _l("For 400: each malformed parameter and what it should be.")})


class ErrorBody(Schema):
    error = fields.Nested(Error, required=True)


def page_schema(item: type[Schema]) -> type[Schema]:
    """A page of items: ``{"items": [...], "pagination": {...}}``."""
    return type(f"{item.__name__}Page", (Schema,), {
        "items": fields.List(fields.Nested(item), required=True),
        "pagination": fields.Nested(Pagination, required=True),
    })


CyclePage = page_schema(Cycle)
DistrictPage = page_schema(District)
CategoryPage = page_schema(Category)
ProposalPage = page_schema(Proposal)
