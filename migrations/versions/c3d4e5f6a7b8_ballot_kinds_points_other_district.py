"""ballot rules: cumulative points and the choice of one other district

Adds to ``ballot_rules`` the points of a cumulative ballot (per envelope, and at most per project) and the flag that
lets a voter vote in one district besides their own, with check constraints. Majority judgment needs no column: its
scale is fixed (four grades, stored in ``ballot_choice.value``).

Revision ID: c3d4e5f6a7b8
Revises: b7e1c2d3f4a5
Create Date: 2026-12-06 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'b7e1c2d3f4a5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ballot_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points_total', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('points_per_project', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('other_district', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_check_constraint(
            op.f('ck_ballot_rules_points_total_range'), "points_total IS NULL OR (points_total BETWEEN 1 AND 1000)")
        batch_op.create_check_constraint(
            op.f('ck_ballot_rules_points_per_project_range'),
            "points_per_project IS NULL OR (points_per_project >= 1 AND (points_total IS NULL "
            "OR points_per_project <= points_total))")
        batch_op.create_check_constraint(
            op.f('ck_ballot_rules_cumulative_has_points'),
            "kind <> 'cumulative' OR (points_total IS NOT NULL AND points_per_project IS NOT NULL)")


def downgrade():
    with op.batch_alter_table('ballot_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ballot_rules_cumulative_has_points'), type_='check')
        batch_op.drop_constraint(op.f('ck_ballot_rules_points_per_project_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_ballot_rules_points_total_range'), type_='check')
        batch_op.drop_column('other_district')
        batch_op.drop_column('points_per_project')
        batch_op.drop_column('points_total')
