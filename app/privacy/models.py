"""Privacy: the history of each resident's choices about their personal data.

A choice is never edited: each decision adds a row with the date and the version of the text the resident read, so
the history shows what was agreed to, when, and when it was withdrawn. The current choice is the latest row.
"""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base, str_enum


class ConsentKind(enum.StrEnum):
    SHOW_NAME = "show_name"  # granted: the display name is shown; withdrawn: a pseudonym is shown
    CONTACT = "contact"  # the city may contact the resident about their proposals and comments
    RESEARCH = "research"  # anonymised participation (district, age bracket, channel) in research datasets
    NEWS = "news"  # news about future cycles by email


class ConsentRecord(Base):
    __tablename__ = "consent_record"
    __table_args__ = (Index("ix_consent_record_user_kind", "user_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[ConsentKind] = mapped_column(str_enum(ConsentKind, "consent_kind", length=12))
    granted: Mapped[bool]
    text_version: Mapped[str] = mapped_column(String(20))
    # For SHOW_NAME withdrawn: the pseudonym chosen or generated at that moment.
    detail: Mapped[str] = mapped_column(String(80), default="")
    channel: Mapped[str] = mapped_column(String(20), default="web")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
