"""Budget cycles: places (districts), themes (categories), envelopes and dated phases."""

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, str_enum
from app.core.translated import Translated


class District(Base):
    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Category(Translated, Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_fr: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    name_nl: Mapped[str] = mapped_column(String(80), default="")
    icon: Mapped[str] = mapped_column(String(8), default="")
    colour: Mapped[str] = mapped_column(String(7), default="#1d4ed8")

    @property
    def name(self) -> str:
        return self.localized("name")


class PhaseKind(enum.StrEnum):
    """The phases of a cycle, in their order."""

    SUBMISSION = "submission"
    REVIEW = "review"
    VOTING = "voting"
    RESULTS = "results"
    IMPLEMENTATION = "implementation"
    CLOSED = "closed"

    @property
    def order(self) -> int:
        return _PHASE_ORDER[self]


_PHASE_ORDER = {kind: index for index, kind in enumerate(PhaseKind)}  # read on every page of a cycle


class Cycle(Translated, Base):
    __tablename__ = "cycle"
    __table_args__ = (
        CheckConstraint("total_budget_cents >= 0", name="budget_not_negative"),
        CheckConstraint("citywide_envelope_cents IS NULL OR citywide_envelope_cents >= 0",
                        name="citywide_not_negative"),
        CheckConstraint("support_threshold >= 0", name="threshold_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_fr: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_nl: Mapped[str] = mapped_column(String(200), default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_nl: Mapped[str] = mapped_column(Text, default="")
    total_budget_cents: Mapped[int] = mapped_column(BigInteger)
    citywide_envelope_cents: Mapped[int | None] = mapped_column(BigInteger)
    support_threshold: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ballot_frozen_at: Mapped[datetime | None]
    # When the worker rewrote the cycle's ballots in random order after voting closed (app.voting.services.seal).
    ballots_sealed_at: Mapped[datetime | None]
    # The call center may record supports given by phone during submission (set on the call center's settings).
    phone_supports: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A school's own budget (app.schools): run by its teachers, never listed among the city's budgets. (No ON DELETE
    # action: SQLite adds the column in place only without one, see the migration; schools are never deleted.)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)

    phases: Mapped[list["Phase"]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="Phase.starts_at", lazy="selectin"
    )
    envelopes: Mapped[list["Envelope"]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def description(self) -> str:
        return self.localized("description")

    @property
    def is_school(self) -> bool:
        return self.school_id is not None


# The city's own cycles: every city listing and page filters on this (a school's budget is the school's business).
CITY_CYCLES = Cycle.school_id.is_(None)
CITY_CYCLE_IDS = select(Cycle.id).where(CITY_CYCLES).scalar_subquery()  # ``Proposal.cycle_id.in_(...)``


class Envelope(Base):
    """The part of a cycle's budget reserved for one district."""

    __tablename__ = "envelope"
    __table_args__ = (
        UniqueConstraint("cycle_id", "district_id", name="uq_envelope_cycle_district"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    has_voting: Mapped[bool] = mapped_column(default=True)

    cycle: Mapped[Cycle] = relationship(back_populates="envelopes")
    district: Mapped[District] = relationship(lazy="joined")


class Phase(Base):
    __tablename__ = "phase"
    __table_args__ = (
        UniqueConstraint("cycle_id", "kind", name="uq_phase_cycle_kind"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    kind: Mapped[PhaseKind] = mapped_column(str_enum(PhaseKind, "phase_kind"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]

    cycle: Mapped[Cycle] = relationship(back_populates="phases")
