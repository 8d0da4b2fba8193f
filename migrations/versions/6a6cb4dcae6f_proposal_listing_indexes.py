"""proposal listing indexes (ordered by id)

Revision ID: 6a6cb4dcae6f
Revises: 27a821f44ee0
Create Date: 2026-11-22 03:37:17.145969

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a6cb4dcae6f'
down_revision = '27a821f44ee0'
branch_labels = None
depends_on = None


INDEXES = {
    "ix_proposal_cycle_district": ["cycle_id", "district_id", "id"],
    "ix_proposal_cycle_category": ["cycle_id", "category_id", "id"],
    "ix_proposal_filters": ["cycle_id", "district_id", "category_id", "status"],
}


def upgrade():
    # Plain CREATE/DROP INDEX (not batch mode): a batch rebuild of "proposal" on SQLite would drop the search
    # triggers. Listings are ordered by id (newest first), so each index ends with id.
    op.drop_index("ix_proposal_listing", table_name="proposal")
    op.create_index("ix_proposal_listing", "proposal", ["cycle_id", "status", "id"], unique=False)
    for name, columns in INDEXES.items():
        op.create_index(name, "proposal", columns, unique=False)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="proposal")
    op.drop_index("ix_proposal_listing", table_name="proposal")
    op.create_index("ix_proposal_listing", "proposal", ["cycle_id", "status", "created_at"], unique=False)
