"""Stored tallies: one run of a counting rule on a cycle's ballots, its envelopes and the fate of every project.

A run keeps what is needed to check it: the rule and tie-breaking, how many voters took part per channel, and per
envelope the very ballot file it counted (pabulib format, voters numbered in a random order) with its SHA-256. The
public results page reads only the run published for the cycle (at most one: a partial unique index says so).
"""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base

PUBLISHED_ONLY = {"sqlite_where": text("published_at IS NOT NULL"),
                  "postgresql_where": text("published_at IS NOT NULL")}


class TallyRun(Base):
    __tablename__ = "tally_run"
    __table_args__ = (Index("uq_tally_run_published_cycle", "cycle_id", unique=True, **PUBLISHED_ONLY),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    tie_breaking: Mapped[str] = mapped_column(String(40))
    # The rule of the other family (greedy beside equal shares and the reverse) shown for comparison; "" for none.
    comparison_rule: Mapped[str] = mapped_column(String(40), default="")
    ballot_kind: Mapped[str] = mapped_column(String(30))
    # Voters who took part, per channel of the participation register ({"web": 1200, "paper": 80, ...}).
    voters_by_channel: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    cycle = relationship("Cycle")
    created_by = relationship("User", foreign_keys=[created_by_id])
    envelopes: Mapped[list["TallyEnvelope"]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="TallyEnvelope.id", lazy="selectin"
    )

    @property
    def voters(self) -> int:
        return sum((self.voters_by_channel or {}).values())


class TallyEnvelope(Base):
    """The outcome of one envelope (a district, or the whole city when ``district_id`` is None)."""

    __tablename__ = "tally_envelope"
    __table_args__ = (UniqueConstraint("run_id", "district_id", name="uq_tally_envelope_run_district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("tally_run.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="RESTRICT"))
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    ballots: Mapped[int]  # ballots cast in the envelope, blank ones included
    blank_ballots: Mapped[int] = mapped_column(default=0)  # left out of the file: a vote line needs a project
    spent_cents: Mapped[int] = mapped_column(BigInteger)
    comparison_spent_cents: Mapped[int | None] = mapped_column(BigInteger)
    ballot_file: Mapped[str] = mapped_column(Text, deferred=True)
    ballot_file_sha256: Mapped[str] = mapped_column(String(64))

    run: Mapped[TallyRun] = relationship(back_populates="envelopes")
    district = relationship("District", lazy="joined")
    projects: Mapped[list["TallyProject"]] = relationship(
        back_populates="envelope", cascade="all, delete-orphan", order_by="TallyProject.position", lazy="selectin"
    )

    @property
    def key(self) -> str:
        """The envelope in addresses: "city", or the district's slug."""
        return "city" if self.district_id is None else self.district.slug


class TallyProject(Base):
    """A project of an envelope in a run: its votes, whether it won, and the data of its explanation."""

    __tablename__ = "tally_project"
    __table_args__ = (UniqueConstraint("envelope_id", "ballot_item_id", name="uq_tally_project_envelope_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("tally_envelope.id", ondelete="CASCADE"), index=True)
    ballot_item_id: Mapped[int] = mapped_column(ForeignKey("ballot_item.id", ondelete="CASCADE"))
    position: Mapped[int]  # order on the results page: winners first, then by votes
    cost_cents: Mapped[int] = mapped_column(BigInteger)
    votes: Mapped[int] = mapped_column(BigInteger)  # approvals, or points (cumulative), or grades given
    selected: Mapped[bool]
    comparison_selected: Mapped[bool | None]
    # What the explanation sentences are built from (rank, round, payments...): JSON-safe, exact numbers as strings.
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    envelope: Mapped[TallyEnvelope] = relationship(back_populates="projects")
    item = relationship("BallotItem", lazy="joined")
