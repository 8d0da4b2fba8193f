"""Proposals from residents, their public status history, supports, follows, images and the city's review."""

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, str_enum
from app.core.images import StoredImage


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    FEASIBLE = "feasible"  # feasible and on the ballot
    NOT_FEASIBLE = "not_feasible"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"
    IN_PROGRESS = "in_progress"
    DONE = "done"


# Statuses the public sees in listings (a draft is private; a withdrawn proposal keeps its page only).
PUBLIC_STATUSES = tuple(s for s in ProposalStatus if s not in (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN))


# Listing indexes cover only proposals not hidden by moderation (every listing filters on that), so that counts
# and pages are read from the index alone.
VISIBLE_ONLY = {"sqlite_where": text("hidden_at IS NULL"), "postgresql_where": text("hidden_at IS NULL")}


class Proposal(Base):
    __tablename__ = "proposal"
    __table_args__ = (
        # Listings show newest first by id (ids grow with time) and filter by cycle, district, category, status:
        # each index ends with id so that a filtered page is read in order and stops after one page.
        Index("ix_proposal_listing", "cycle_id", "status", "id", **VISIBLE_ONLY),
        Index("ix_proposal_cycle_district", "cycle_id", "district_id", "id", **VISIBLE_ONLY),
        Index("ix_proposal_cycle_category", "cycle_id", "category_id", "id", **VISIBLE_ONLY),
        Index("ix_proposal_filters", "cycle_id", "district_id", "category_id", "status", **VISIBLE_ONLY),
        Index("ix_proposal_supports", "cycle_id", "supports_count"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
        CheckConstraint("estimated_cost_cents IS NULL OR estimated_cost_cents >= 0", name="estimate_not_negative"),
        CheckConstraint("city_cost_cents IS NULL OR city_cost_cents >= 0", name="city_cost_not_negative"),
        CheckConstraint("supports_count >= 0", name="supports_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="SET NULL"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    estimated_cost_cents: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus, "proposal_status"),
                                                   default=ProposalStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    supports_count: Mapped[int] = mapped_column(default=0)
    # Accent-free, lower-case, lightly stemmed words of title, text and address: what search matches against.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Submitted on someone's behalf (phone, school): the channel and the staff member who entered it.
    channel: Mapped[str] = mapped_column(String(20), default="web")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    # Review by the city
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    city_cost_cents: Mapped[int | None] = mapped_column(BigInteger)
    ballot_title: Mapped[str] = mapped_column(String(150), default="")
    ballot_summary: Mapped[str] = mapped_column(String(500), default="")
    public_reason: Mapped[str] = mapped_column(Text, default="")  # why not feasible, shown to all
    staff_notes: Mapped[str] = mapped_column(Text, default="")  # never shown outside staff pages
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    # Hidden by moderation: the page shows only the public reason; listings leave it out.
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(40), default="")
    comments_count: Mapped[int] = mapped_column(default=0)

    cycle = relationship("Cycle", lazy="joined", innerjoin=True)
    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])
    category = relationship("Category", lazy="joined")
    district = relationship("District", lazy="joined")
    merged_into = relationship("Proposal", remote_side=[id], foreign_keys=[merged_into_id])
    history: Mapped[list["StatusChange"]] = relationship(
        back_populates="proposal", order_by="StatusChange.id", cascade="all, delete-orphan"
    )
    images: Mapped[list["ProposalImage"]] = relationship(
        back_populates="proposal", order_by="ProposalImage.position", cascade="all, delete-orphan"
    )

    @property
    def display_title(self) -> str:
        return self.ballot_title or self.title

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class StatusChange(Base):
    """One step of a proposal's public history."""

    __tablename__ = "status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus, "status_change_to"))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship(back_populates="history")


class Support(Base):
    __tablename__ = "support"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", name="uq_support_proposal_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(Base):
    __tablename__ = "follow"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", name="uq_follow_proposal_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    by_email: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coauthor(Base):
    """Authors of proposals merged into this one."""

    __tablename__ = "coauthor"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", name="uq_coauthor_proposal_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))


class ProposalImage(StoredImage, Base):
    """An image of a proposal, re-encoded on upload and served from our origin."""

    __tablename__ = "proposal_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    proposal: Mapped[Proposal] = relationship(back_populates="images")


class ReasonTemplate(Base):
    """Editable, translated reasons an official can pick when a proposal is not feasible."""

    __tablename__ = "reason_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_fr: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500), default="")
    text_nl: Mapped[str] = mapped_column(String(500), default="")


class BallotItem(Base):
    """A project as it stands on the ballot, frozen when voting opens."""

    __tablename__ = "ballot_item"
    __table_args__ = (UniqueConstraint("cycle_id", "proposal_id", name="uq_ballot_item_cycle_proposal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(String(500), default="")
    cost_cents: Mapped[int] = mapped_column(BigInteger)

    proposal = relationship("Proposal")
