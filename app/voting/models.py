"""Voting: the ballot rules of a cycle, the participation register and the anonymous ballots.

The register says *who* voted (and through which channel); a ballot says *what* was chosen. Nothing joins the two:
a ballot has a random id, the day it was cast (no time), its envelope and the keyed hash of the voter's receipt
code; no user, participation, census entry or timestamp. Both are written in one transaction by
``app.voting.services.cast``; the unique constraint on (cycle, voter) refuses a second vote however it arrives.

On SQLite the two ballot tables are ``WITHOUT ROWID``: an ordinary SQLite table numbers its rows in insertion order,
and that order, set beside the participation ids, would tell which ballot came with which participation. Without a
rowid, rows are stored in the order of their random primary key.

Left to do (database administrators, not pages): on PostgreSQL every row carries system columns, ``xmin`` (the
transaction that wrote it) and ``ctid`` (its place on disk), so someone with direct access to the database could
match a ballot to the participation written in the same transaction. Sealing the ballots when voting closes (one
UPDATE rewriting them all in a single transaction, then VACUUM) would erase that; it is not built yet. Likewise a
day on which a single person votes in a district links their participation day to that ballot's day.
"""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, str_enum


class BallotKind(enum.StrEnum):
    """How a voter fills a ballot. Cumulative points and majority judgment are named (so that the column accepts
    them without a migration) but not built yet: the services refuse them."""

    APPROVAL = "approval"  # choose between min_choices and max_choices projects
    KNAPSACK = "knapsack"  # choose projects costing at most the envelope (and at least min_share_percent of it)
    CUMULATIVE = "cumulative"  # not built
    MAJORITY_JUDGMENT = "majority_judgment"  # not built


class VoteChannel(enum.StrEnum):
    WEB = "web"
    PHONE = "phone"  # entered by a call-center agent
    PAPER = "paper"  # entered by polling-station staff
    CODE = "code"  # with a voting code (letters, events, schools)


class BallotRules(Base):
    """The rules of a cycle's ballot, set by officials; frozen (``frozen_at``) when the first ballot is cast."""

    __tablename__ = "ballot_rules"
    __table_args__ = (
        CheckConstraint("min_choices >= 0", name="min_choices_not_negative"),
        CheckConstraint("max_choices IS NULL OR (max_choices >= 1 AND max_choices >= min_choices)",
                        name="max_choices_range"),
        CheckConstraint("min_share_percent IS NULL OR (min_share_percent BETWEEN 0 AND 100)",
                        name="min_share_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[BallotKind] = mapped_column(str_enum(BallotKind, "ballot_kind", length=30),
                                             default=BallotKind.APPROVAL)
    # Per envelope. Approval: between min and max projects (max None: no limit). Knapsack: min_choices too.
    min_choices: Mapped[int] = mapped_column(default=1)
    max_choices: Mapped[int | None]
    # Knapsack only: the chosen projects must cost at least this share of the envelope (None: no minimum).
    min_share_percent: Mapped[int | None]
    # How the ballots are counted: a rule name of ``app.tally`` (see ``app.results.rules``), announced before the vote.
    counting_rule: Mapped[str] = mapped_column(String(40), default="greedy", server_default="greedy")
    frozen_at: Mapped[datetime | None]

    cycle = relationship("Cycle")


class Participation(Base):
    """One row per voter and cycle: that they voted, when (the day) and through which channel. Never what."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("cycle_id", "voter_key", name="uq_participation_cycle_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    # The verified person: "user:<id>" for an account; later "census:<hmac>" for a census entry.
    voter_key: Mapped[str] = mapped_column(String(80))
    channel: Mapped[VoteChannel] = mapped_column(str_enum(VoteChannel, "vote_channel", length=10),
                                                 default=VoteChannel.WEB)
    # The staff member who recorded a phone or paper vote (None on the web).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    day: Mapped[date] = mapped_column(Date)


class Ballot(Base):
    """An anonymous ballot of one envelope: random id, day, envelope, hashed receipt. Nothing about the voter."""

    __tablename__ = "ballot"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # secrets.token_hex(16)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    # The envelope: a district, or None for the city-wide envelope.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="RESTRICT"))
    # HMAC-SHA256 (key: the app's SECRET_KEY) of the cycle, envelope and receipt code; the code itself is not kept.
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    day: Mapped[date] = mapped_column(Date)

    choices: Mapped[list["BallotChoice"]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", passive_deletes=True
    )


class BallotChoice(Base):
    """A project chosen on a ballot (a frozen ``BallotItem``)."""

    __tablename__ = "ballot_choice"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        {"sqlite_with_rowid": False},
    )

    ballot_id: Mapped[str] = mapped_column(ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True)
    ballot_item_id: Mapped[int] = mapped_column(ForeignKey("ballot_item.id"), primary_key=True, index=True)
    # 1 for approval and knapsack ballots; room for points (cumulative) or a grade (majority judgment) later.
    value: Mapped[int] = mapped_column(default=1)

    ballot: Mapped[Ballot] = relationship(back_populates="choices")
    item = relationship("BallotItem", lazy="joined")
