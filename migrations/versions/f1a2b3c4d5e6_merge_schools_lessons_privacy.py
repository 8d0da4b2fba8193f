"""Merge the branches of issue 8 (schools, lessons) and issue 9 (privacy), written side by side.

Revision ID: f1a2b3c4d5e6
Revises: a9c5e3d1b7f2, 1e55a0b5c0a1, 7d0281d46ac7
"""

revision = "f1a2b3c4d5e6"
down_revision = ("a9c5e3d1b7f2", "1e55a0b5c0a1", "7d0281d46ac7")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
