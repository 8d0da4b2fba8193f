"""quiz_answers: each pupil's latest answers to a lesson's quiz, under their pupil key (no name)

Revision ID: 1e55a0b5c0a1
Revises: e0f1a2b3c4d5
Create Date: 2026-12-07 02:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "1e55a0b5c0a1"
down_revision = "e0f1a2b3c4d5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quiz_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_key", sa.String(length=40), nullable=False),
        sa.Column("lesson_slug", sa.String(length=40), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score >= 0 AND score <= questions", name=op.f("ck_quiz_answers_score_range")),
        sa.CheckConstraint("questions > 0", name=op.f("ck_quiz_answers_has_questions")),
        sa.CheckConstraint("attempts > 0", name=op.f("ck_quiz_answers_attempts_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_answers")),
        sa.UniqueConstraint("learner_key", "lesson_slug", name="uq_quiz_answers_learner_lesson"),
    )
    op.create_index(op.f("ix_quiz_answers_learner_key"), "quiz_answers", ["learner_key"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_quiz_answers_learner_key"), table_name="quiz_answers")
    op.drop_table("quiz_answers")
