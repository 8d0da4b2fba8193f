"""A learner's latest answers to a lesson's quiz. Learners are pupils known only by a key ("pupil:<id>"): no name."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base


class QuizAnswers(Base):
    """One row per learner and lesson: their last attempt (answers by question key), its score and how many tries."""

    __tablename__ = "quiz_answers"
    __table_args__ = (
        UniqueConstraint("learner_key", "lesson_slug", name="uq_quiz_answers_learner_lesson"),
        CheckConstraint("score >= 0 AND score <= questions", name="score_range"),
        CheckConstraint("questions > 0", name="has_questions"),
        CheckConstraint("attempts > 0", name="attempts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_key: Mapped[str] = mapped_column(String(40), index=True)
    lesson_slug: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict] = mapped_column(JSON)
    score: Mapped[int]
    questions: Mapped[int]
    attempts: Mapped[int] = mapped_column(default=1)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
