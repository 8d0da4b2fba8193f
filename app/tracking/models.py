"""What became of the funded projects: status, progress, budget and dated public updates."""

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, str_enum
from app.core.images import StoredImage


class ProjectStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class ProjectTracking(Base):
    __tablename__ = "project_tracking"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        CheckConstraint("planned_budget_cents >= 0 AND spent_cents >= 0", name="money_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), unique=True)
    status: Mapped[ProjectStatus] = mapped_column(str_enum(ProjectStatus, "project_status"),
                                                  default=ProjectStatus.PLANNED)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[int] = mapped_column(default=0)
    planned_budget_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    spent_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    proposal = relationship("Proposal", lazy="joined", innerjoin=True)
    updates: Mapped[list["TrackingUpdate"]] = relationship(
        back_populates="tracking", order_by="TrackingUpdate.happened_on.desc()", cascade="all, delete-orphan"
    )


class TrackingUpdate(Base):
    __tablename__ = "tracking_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_id: Mapped[int] = mapped_column(ForeignKey("project_tracking.id", ondelete="CASCADE"), index=True)
    happened_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tracking: Mapped[ProjectTracking] = relationship(back_populates="updates")
    photos: Mapped[list["TrackingPhoto"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class TrackingPhoto(StoredImage, Base):
    __tablename__ = "tracking_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("tracking_update.id", ondelete="CASCADE"), index=True)
