"""Voting: the ballot rules of a cycle, the participation register and the anonymous ballots.

The register says *who* voted (and through which channel); a ballot says *what* was chosen. Nothing joins the two:
a ballot has a random id, the day it was cast (no time), its envelope and the keyed hash of the voter's receipt
code; no user, participation, census entry or timestamp. Both are written in one transaction by
``app.voting.services.cast``; the unique constraint on (cycle, voter) refuses a second vote however it arrives.

On SQLite the two ballot tables are ``WITHOUT ROWID``: an ordinary SQLite table numbers its rows in insertion order,
and that order, set beside the participation ids, would tell which ballot came with which participation. Without a
rowid, rows are stored in the order of their random primary key.

On PostgreSQL every row also carries system columns, ``xmin`` (the transaction that wrote it) and ``ctid`` (its
place on disk), so while voting is open someone with direct access to the database could match a ballot to the
participation written in the same transaction. Once voting has closed, the worker seals the cycle
(``app.voting.services.seal_due_ballots``, once per cycle, ``Cycle.ballots_sealed_at``): it deletes and inserts
again every ballot and choice, in an order drawn from ``secrets.SystemRandom``, in one transaction; every ballot then
carries that transaction's id, which no participation has, and then VACUUMs the tables.

Left to do: the old row versions stay in the database files and the write-ahead log until VACUUM (FULL) and
checkpoints remove them, and backups taken while voting was open keep them (see the README). A day on which a
single person votes in a district links their participation day to that ballot's day.
"""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, str_enum


class BallotKind(enum.StrEnum):
    """How a voter fills a ballot, and what ``BallotChoice.value`` then holds."""

    APPROVAL = "approval"  # choose between min_choices and max_choices projects; value 1
    KNAPSACK = "knapsack"  # choose projects costing at most the envelope (and at least min_share_percent of it); 1
    CUMULATIVE = "cumulative"  # spread points_total points, at most points_per_project on one; value = points (> 0)
    MAJORITY_JUDGMENT = "majority_judgment"  # one grade for every project of the envelope; value = Grade (0..3)


class Grade(enum.IntEnum):
    """The scale of a majority-judgment ballot, worst first (``BallotChoice.value``)."""

    TO_REJECT = 0
    ACCEPTABLE = 1
    GOOD = 2
    EXCELLENT = 3


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
        CheckConstraint("minimum_age IS NULL OR (minimum_age BETWEEN 0 AND 120)", name="minimum_age_range"),
        CheckConstraint("points_total IS NULL OR (points_total BETWEEN 1 AND 1000)", name="points_total_range"),
        CheckConstraint("points_per_project IS NULL OR (points_per_project >= 1 AND (points_total IS NULL "
                        "OR points_per_project <= points_total))", name="points_per_project_range"),
        CheckConstraint("kind <> 'cumulative' OR (points_total IS NOT NULL AND points_per_project IS NOT NULL)",
                        name="cumulative_has_points"),
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
    # Cumulative only: the points a voter spreads in each envelope, and the most one project may receive.
    points_total: Mapped[int | None]
    points_per_project: Mapped[int | None]
    # Besides the city-wide envelope and their own district's, a voter may vote in one other district of their
    # choice.
    other_district: Mapped[bool] = mapped_column(default=False)
    # How the ballots are counted: a rule name of ``app.tally`` (see ``app.results.rules``), announced before the vote.
    counting_rule: Mapped[str] = mapped_column(String(40), default="greedy", server_default="greedy")
    frozen_at: Mapped[datetime | None]
    # Who may vote (set on the eligibility page, frozen with the rest): online voters must have verified their
    # census entry; voters must be at least this old in the year of the vote (None: no minimum).
    census_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    minimum_age: Mapped[int | None]

    cycle = relationship("Cycle")


class Participation(Base):
    """One row per voter and cycle: that they voted, when (the day) and through which channel. Never what."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("cycle_id", "voter_key", name="uq_participation_cycle_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    # The verified person (see app.voting.services.Voter): "census:<hmac>", "code:<id>" or "user:<id>".
    voter_key: Mapped[str] = mapped_column(String(80))
    channel: Mapped[VoteChannel] = mapped_column(str_enum(VoteChannel, "vote_channel", length=10),
                                                 default=VoteChannel.WEB)
    # The staff member who recorded a phone or paper vote (None on the web), and the polling station (paper).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("polling_station.id", ondelete="RESTRICT"),
                                                   index=True)
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
    """A project on a ballot (a frozen ``BallotItem``) and what the voter gave it.

    ``value``: 1 for approval and knapsack ballots (only chosen projects have a row); the points for cumulative
    ballots (only projects given points have a row); the grade (``Grade``, 0..3) for majority judgment (every
    project of the envelope has a row)."""

    __tablename__ = "ballot_choice"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        {"sqlite_with_rowid": False},
    )

    ballot_id: Mapped[str] = mapped_column(ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True)
    ballot_item_id: Mapped[int] = mapped_column(ForeignKey("ballot_item.id"), primary_key=True, index=True)
    value: Mapped[int] = mapped_column(default=1)

    ballot: Mapped[Ballot] = relationship(back_populates="choices")
    item = relationship("BallotItem", lazy="joined")


class CensusEntry(Base):
    """A resident on the city's list of eligible residents. Only the keyed hash of their identifier is kept
    (HMAC-SHA256 with ``CENSUS_SECRET``, see ``app.voting.census``), with their district and year of birth.

    An upload that no longer lists an entry makes it inactive; entries are never deleted, and a binding stays.
    An entry binds to one account, and an account to one entry (``user_id`` is unique).
    """

    __tablename__ = "census_entry"
    __table_args__ = (CheckConstraint("birth_year BETWEEN 1880 AND 2200", name="birth_year_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier_hash: Mapped[str] = mapped_column(String(64), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="RESTRICT"))
    birth_year: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), unique=True)
    bound_at: Mapped[datetime | None]

    district = relationship("District")


class BirthYearDeclaration(Base):
    """The year of birth a voter declared (once), where the census gives none: for a cycle's minimum age."""

    __tablename__ = "birth_year_declaration"
    __table_args__ = (CheckConstraint("birth_year BETWEEN 1880 AND 2200", name="birth_year_range"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    birth_year: Mapped[int]
    declared_at: Mapped[datetime]


class PollingStation(Base):
    """A place where residents vote on paper during a cycle; staff sign in to one to enter ballots."""

    __tablename__ = "polling_station"
    __table_args__ = (UniqueConstraint("cycle_id", "name", name="uq_polling_station_cycle_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200), default="")
    open: Mapped[bool] = mapped_column(default=True)


class CodeBatch(Base):
    """A batch of voting codes that officials generated for one cycle and district (letters, an event, a school).

    The codes themselves are never stored (see ``VotingCode``); a batch is voided as a whole. ``form_key`` is the
    one-time key of the form that generated it: sending that form again (a reload) finds the batch instead of
    generating a second one.
    """

    __tablename__ = "code_batch"
    __table_args__ = (
        UniqueConstraint("cycle_id", "label", name="uq_code_batch_cycle_label"),
        CheckConstraint("size BETWEEN 1 AND 5000", name="size_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    # The district whose ballot the codes open (None only in a cycle without district envelopes).
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="RESTRICT"))
    label: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    # Census-bound: the holder also types their census identifier and votes as that census entry.
    census_bound: Mapped[bool] = mapped_column(default=False, server_default=false())
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    voided_at: Mapped[datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    district = relationship("District")
    created_by = relationship("User", foreign_keys=[created_by_id])


class VotingCode(Base):
    """One voting code: only its keyed hash (HMAC-SHA256 with ``VOTING_CODE_SECRET``), and the day it was used.

    The day, not the time: like ballots, nothing finer than the day that could be set beside other rows.
    """

    __tablename__ = "voting_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batch.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_on: Mapped[date | None] = mapped_column(Date)
