"""Schemathesis against the OpenAPI document the app serves, on the WSGI app (no network): for every operation,
requests generated from the document (valid ones, and invalid ones that must get a documented 4xx) never get a
server error, and every answer matches the document (status, headers, body).

Bounded: a fixed number of examples per operation, derandomised, so the run takes seconds and is repeatable. (The
operations are walked here rather than with ``schemathesis.pytest.from_fixture``, whose lazy loader does not run
under pytest 9.)"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

MAX_EXAMPLES = 20


def test_every_answer_matches_the_document_and_none_is_a_server_error(app, published, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")  # the limit has its own test
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = set(app.test_client().get("/api/v1/openapi.json").get_json()["paths"])
    # every operation is exercised (schemathesis leaves out the document's own address)
    assert {op.path for op in operations} == documented - {"/api/v1/openapi.json"}

    runs = [(op, mode) for op in operations for mode in GenerationMode
            if mode == GenerationMode.POSITIVE or len(op.query) or len(op.path_parameters)]  # nothing to spoil
    for operation, mode in runs:
        @given(case=operation.as_strategy(mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate()

        check()
