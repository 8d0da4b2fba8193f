"""The call center: callers who agreed to be called back, logged calls, callback tasks, talking points, services.

Contact data (name, phone, email) live in ``caller`` only, and only when the caller consented; they are erased
(set to NULL) when the caller asks to be forgotten or when the retention period ends. Everything else keeps
anonymous statistics.
"""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, str_enum
from app.core.translated import Translated


class ContactPreference(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"


class CallOutcome(enum.StrEnum):
    NEW_PROPOSAL = "new_proposal"
    ATTACHED = "attached"
    NOT_PB = "not_pb"


class TaskStatus(enum.StrEnum):
    OPEN = "open"  # waiting in the queue
    IN_PROGRESS = "in_progress"  # taken by an agent
    DONE = "done"  # the news was given (reached, voicemail) or emailed
    FAILED = "failed"  # three unanswered attempts, or a wrong number
    CANCELLED = "cancelled"  # the caller asked to stop or to be forgotten


class AttemptOutcome(enum.StrEnum):
    REACHED = "reached"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    STOP = "stop"


class Caller(Base):
    """A person who phoned and agreed to be recontacted. Contact columns are NULL once erased."""

    __tablename__ = "caller"
    __table_args__ = (
        CheckConstraint("erased_at IS NOT NULL OR (phone IS NOT NULL AND name IS NOT NULL)", name="contact_or_erased"),
        CheckConstraint("preferred_contact <> 'email' OR email IS NOT NULL OR erased_at IS NOT NULL",
                        name="email_when_preferred"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120))
    # E.164 (+33612345678); unique among callers not erased, so that one person has one record.
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    preferred_contact: Mapped[ContactPreference] = mapped_column(
        str_enum(ContactPreference, "contact_preference", length=10), default=ContactPreference.PHONE)
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    consent_agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]

    consent_agent = relationship("User", foreign_keys=[consent_agent_id])
    interests: Mapped[list["CallerInterest"]] = relationship(back_populates="caller", cascade="all, delete-orphan")

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


class CallerInterest(Base):
    """A caller is an interested party of a proposal (and may have supported it by phone)."""

    __tablename__ = "caller_interest"
    __table_args__ = (UniqueConstraint("caller_id", "proposal_id", name="uq_caller_interest_caller_proposal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("caller.id", ondelete="CASCADE"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    phone_support: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    caller: Mapped[Caller] = relationship(back_populates="interests")
    proposal = relationship("Proposal")


class MunicipalService(Translated, Base):
    """A city service that handles what the participatory budget does not, with the answer agents read out."""

    __tablename__ = "municipal_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    name_nl: Mapped[str] = mapped_column(String(120), default="")
    answer_fr: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str] = mapped_column(Text, default="")
    answer_nl: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def name(self) -> str:
        return self.localized("name")

    @property
    def answer(self) -> str:
        return self.localized("answer")


class Call(Base):
    """One logged call: who took it, when, its outcome and what it led to. No contact data here."""

    __tablename__ = "call"
    __table_args__ = (
        Index("ix_call_created_at", "created_at"),
        CheckConstraint("outcome <> 'not_pb' OR service_id IS NOT NULL OR service_name <> ''",
                        name="service_for_not_pb"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[CallOutcome] = mapped_column(str_enum(CallOutcome, "call_outcome"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("caller.id", ondelete="SET NULL"), index=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id", ondelete="SET NULL"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("municipal_service.id", ondelete="SET NULL"))
    service_name: Mapped[str] = mapped_column(String(120), default="")  # kept if the service is deleted
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    consent: Mapped[bool] = mapped_column(default=False)
    # The caller's words; blanked when the caller is forgotten or their data expire.
    complaint: Mapped[str] = mapped_column(Text, default="")

    agent = relationship("User", foreign_keys=[agent_id])
    proposal = relationship("Proposal")
    caller = relationship(Caller)
    service = relationship(MunicipalService)
    district = relationship("District")
    category = relationship("Category")


class ClaimCode(Base):
    """The code read out to a caller whose proposal was entered by phone; only its SHA-256 is stored."""

    __tablename__ = "claim_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    proposal = relationship("Proposal")


class CallbackTask(Base):
    """A promise to call back (or email) one caller about one event of one proposal."""

    __tablename__ = "callback_task"
    __table_args__ = (
        UniqueConstraint("caller_id", "proposal_id", "event", name="uq_callback_task_caller_proposal_event"),
        Index("ix_callback_task_queue", "status", "due_on", "language"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("status <> 'in_progress' OR taken_by_id IS NOT NULL", name="taken_when_in_progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("caller.id", ondelete="SET NULL"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    # "status:<proposal status>" or "voting_opened"
    event: Mapped[str] = mapped_column(String(40))
    news_detail: Mapped[str] = mapped_column(Text, default="")  # the public reason given with the status, if any
    channel: Mapped[ContactPreference] = mapped_column(str_enum(ContactPreference, "callback_channel", length=10))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date]
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, "callback_status"), default=TaskStatus.OPEN)
    attempts: Mapped[int] = mapped_column(default=0)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None]
    last_outcome: Mapped[str] = mapped_column(String(20), default="")
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    caller = relationship(Caller)
    proposal = relationship("Proposal")
    taken_by = relationship("User", foreign_keys=[taken_by_id])


class TalkingPoint(Base):
    """What agents tell callers in one phase (or when no cycle is open), as officials wrote it.

    Without a row (or with an empty text in a language) the built-in text of ``services.DEFAULT_TALKING_POINTS``
    is used.
    """

    __tablename__ = "talking_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(20), unique=True)  # a PhaseKind value, or "none"
    text_fr: Mapped[str] = mapped_column(Text, default="")
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_nl: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
