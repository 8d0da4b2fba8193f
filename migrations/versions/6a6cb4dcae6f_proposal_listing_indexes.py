"""proposal listing indexes

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


def upgrade():
    # Plain CREATE INDEX (not batch mode): a batch rebuild of "proposal" on SQLite would drop the search triggers.
    op.create_index('ix_proposal_created', 'proposal', ['created_at'], unique=False)
    op.create_index('ix_proposal_cycle_created', 'proposal', ['cycle_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_proposal_cycle_created', table_name='proposal')
    op.drop_index('ix_proposal_created', table_name='proposal')
