"""The migrations build exactly the schema the models describe (so env.py sees every model)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db as _db
from app.proposals.search_ddl import NOT_IN_MODELS


def _in_models(name, type_, parent_names) -> bool:
    """Search structures live in the migrations only (see app.proposals.search_ddl)."""
    return not (name or "").startswith(NOT_IN_MODELS)


def test_migrations_match_models(app):
    with app.app_context(), _db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _in_models}
        )
        differences = compare_metadata(context, _db.metadata)
    assert differences == []
