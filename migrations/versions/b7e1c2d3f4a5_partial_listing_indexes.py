"""listing indexes cover only proposals not hidden by moderation

Revision ID: b7e1c2d3f4a5
Revises: 6c9ad990ce8c
Create Date: 2026-11-22 04:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = "b7e1c2d3f4a5"
down_revision = "6c9ad990ce8c"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_proposal_listing": ["cycle_id", "status", "id"],
    "ix_proposal_cycle_district": ["cycle_id", "district_id", "id"],
    "ix_proposal_cycle_category": ["cycle_id", "category_id", "id"],
    "ix_proposal_filters": ["cycle_id", "district_id", "category_id", "status"],
}
VISIBLE_ONLY = sa.text("hidden_at IS NULL")


def upgrade():
    # Plain DROP/CREATE INDEX: a batch rebuild of "proposal" on SQLite would drop the search triggers.
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="proposal")
        op.create_index(name, "proposal", columns, unique=False, sqlite_where=VISIBLE_ONLY,
                        postgresql_where=VISIBLE_ONLY)


def downgrade():
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="proposal")
        op.create_index(name, "proposal", columns, unique=False)
