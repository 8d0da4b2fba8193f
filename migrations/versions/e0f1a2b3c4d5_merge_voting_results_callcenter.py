"""Merge the branches of issues 5 (voting), 6 (results) and 7 (call center), written side by side.

Revision ID: e0f1a2b3c4d5
Revises: 1115ff8492af, cf113264144f, c3d4e5f6a7b8, d4e5a6b7c8d9, fb2e00c14039
"""

revision = "e0f1a2b3c4d5"
down_revision = ("1115ff8492af", "cf113264144f", "c3d4e5f6a7b8", "d4e5a6b7c8d9", "fb2e00c14039")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
