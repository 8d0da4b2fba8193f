"""Deliberation: threaded comments with a stance, "useful" marks, reports and moderation."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, str_enum


class Stance(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"
    NEUTRAL = "neutral"


class Visibility(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"  # held for a moderator (forbidden word) before anyone else sees it
    HIDDEN = "hidden"  # hidden by moderation, with a public reason


class Comment(Base):
    __tablename__ = "comment"
    __table_args__ = (
        Index("ix_comment_thread", "proposal_id", "parent_id", "id"),
        CheckConstraint("depth >= 0", name="depth_not_negative"),
        CheckConstraint("useful_count >= 0", name="useful_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    depth: Mapped[int] = mapped_column(default=0)
    stance: Mapped[Stance] = mapped_column(str_enum(Stance, "stance"), default=Stance.NEUTRAL)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    is_official: Mapped[bool] = mapped_column(default=False)  # the city's answer, highlighted and pinned
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility, "comment_visibility"),
                                                   default=Visibility.VISIBLE)
    moderation_reason: Mapped[str] = mapped_column(String(40), default="")
    useful_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]  # deleted by its author: a placeholder keeps the thread readable
    ip_hash: Mapped[str] = mapped_column(String(64), default="")  # for per-address limits; never shown

    author = relationship("User", lazy="joined")


class CommentUseful(Base):
    __tablename__ = "comment_useful"
    __table_args__ = (UniqueConstraint("comment_id", "user_id", name="uq_comment_useful_comment_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    INSULT = "insult"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    HIDDEN = "hidden"  # a moderator hid the content
    DISMISSED = "dismissed"


class Report(Base):
    """A resident's report of a comment or a proposal, queued for moderators."""

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_queue", "status", "target_type", "target_id"),
        CheckConstraint("target_type IN ('comment', 'proposal')", name="target_type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int]
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    reason: Mapped[ReportReason] = mapped_column(str_enum(ReportReason, "report_reason"))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus, "report_status"), default=ReportStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    reporter = relationship("User", foreign_keys=[reporter_id])


class ForbiddenWord(Base):
    """A word or phrase that sends a comment to the moderation queue before anyone sees it."""

    __tablename__ = "forbidden_word"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suspension(Base):
    """An account suspended by a moderator: it can read, not write, until ``ends_at``."""

    __tablename__ = "suspension"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    lifted_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id])
