"""cycle.ballots_sealed_at: when the worker rewrote the cycle's ballots in random order after voting closed

Revision ID: d4e5a6b7c8d9
Revises: b7e1c2d3f4a5
Create Date: 2026-12-06 23:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "d4e5a6b7c8d9"
down_revision = "b7e1c2d3f4a5"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch rebuild of "cycle" on SQLite).
    op.add_column("cycle", sa.Column("ballots_sealed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("cycle") as batch_op:
        batch_op.drop_column("ballots_sealed_at")
