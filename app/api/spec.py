"""The OpenAPI 3 document of the public API, generated from the code that serves it.

apispec (with its marshmallow plugin) turns the schemas of ``app.api.schemas`` into components and the operations
declared with ``app.api.views.operation`` into paths: the document cannot drift from the routes and the answers. It
is built once per language (descriptions are translated) and kept for the life of the process.
"""

import json

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app
from flask_babel import _, get_locale

from app.api import schemas as s
from app.api.views import OPERATIONS, VERSION

OPENAPI_VERSION = "3.0.3"


def _responses(op) -> dict:
    ok = {"description": str(op.summary)}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": op.response}}
    else:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses = {"200": ok, "304": {"description": _("Not modified: the ETag sent in If-None-Match still holds.")}}
    errors = {400: _("Malformed parameters."), 404: _("Not found."),
              429: _("Too many requests: wait for the time given in Retry-After.")}
    codes = set(op.errors) | {429}
    if op.args is not None:
        codes.add(400)
    for code in sorted(codes):
        responses[str(code)] = {"description": errors[code],
                                "content": {"application/json": {"schema": s.ErrorBody}}}
    return responses


def build(server_url: str) -> dict:
    config = current_app.config
    spec = APISpec(
        title=_("Budget Commun – %(city)s: public API", city=config["CITY_NAME"]),
        version=VERSION,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": _("Read-only open data of the participatory budget: cycles, districts, themes, "
                               "proposals, published results and the tracking of funded projects. Amounts are in "
                               "euro cents, dates in UTC. No account is needed; answers are rate limited per "
                               "address."),
              "license": {"name": config["DATA_LICENCE"], "url": config["DATA_LICENCE_URL"]}},
        servers=[{"url": server_url}],
    )
    for op in OPERATIONS:
        parameters = [{"in": "path", "name": name, "required": True, "schema": schema, "description": text}
                      for name, (schema, text) in op.path_params.items()]
        if op.args is not None:
            parameters.append({"in": "query", "schema": op.args})
        spec.path(path=op.path, operations={"get": {
            "operationId": op.endpoint, "summary": op.summary, "description": op.description, "tags": [op.tag],
            "parameters": parameters, "responses": _responses(op),
        }})
    # Descriptions are lazy translations: render them in the current language.
    return json.loads(json.dumps(spec.to_dict(), default=str))


def openapi_document() -> dict:
    """The document in the request's language. Its server is "/" (the paths are absolute on this site), so that
    one document serves every address the site answers to."""
    cache = current_app.extensions.setdefault("openapi_documents", {})
    key = str(get_locale())
    if key not in cache:
        cache[key] = build("/")
    return cache[key]
