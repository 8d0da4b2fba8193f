"""Accounts: users with one role each, and single-use tokens for email confirmation and password reset."""

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, str_enum


class Role(enum.StrEnum):
    RESIDENT = "resident"
    MODERATOR = "moderator"
    OFFICIAL = "official"
    AGENT = "agent"
    TEACHER = "teacher"


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.RESIDENT)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="SET NULL"))
    email_confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set while a moderator's suspension runs (see app.deliberation.models.Suspension): read-only account.
    suspended_until: Mapped[datetime | None]
    # Changes when the password changes: every other session and remember-me cookie stops working.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    # Privacy settings (app.privacy): shown instead of display_name on public pages while use_pseudonym is set.
    pseudonym: Mapped[str | None] = mapped_column(String(40), unique=True)
    use_pseudonym: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set when the account was deleted by its holder: the row stays, emptied of personal data, so that the
    # participation register keeps its key ("user:<id>") and no new account ever gets this id.
    deleted_at: Mapped[datetime | None]

    district = relationship("District", lazy="joined")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def public_name(self) -> str:
        """The name shown to the public (pages, API, open data) for what this person wrote. Every public place uses
        this, never ``display_name``: the privacy settings decide what it is (name or pseudonym), and a deleted
        account is a "former participant"."""
        if self.deleted_at is not None:
            from flask_babel import gettext  # translated when read; the model itself needs no Flask

            return gettext("Former participant")
        if self.use_pseudonym and self.pseudonym:
            return self.pseudonym
        return self.display_name

    @property
    def audit_label(self) -> str:
        return f"{self.display_name} <{self.email}> ({self.role.value})"

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    RESET = "reset"
    EXPORT = "export"  # download of one's personal data (app.privacy)


class AccountToken(Base):
    """A token sent by email. Only its SHA-256 is stored; it works once and expires."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
