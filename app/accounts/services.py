"""What accounts do. Services take the acting user, flush, and leave the commit to the caller."""

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template
from flask_babel import force_locale, format_datetime, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import AccountToken, Role, TokenPurpose, User
from app.core import audit
from app.core.clock import as_utc, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.mail import queue_mail
from app.extensions import db

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("budget-commun-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` is the account's password (asked again before a sensitive action)."""
    return _verify(user.password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _send(user_or_email, locale: str, template: str, subject, **context) -> None:
    """Render an email in the recipient's language and queue it in the outbox."""
    recipient = getattr(user_or_email, "email", user_or_email)
    with force_locale(locale):
        body = render_template(f"accounts/email/{template}.txt", **context)
        queue_mail(recipient, str(subject), body)


def new_token(user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """A random link token for ``user``; only its SHA-256 is stored. It works once and expires after ``lifetime``."""
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user=user,
            purpose=purpose.value,
            token_hash=hashlib.sha256(raw.encode()).hexdigest(),
            expires_at=utcnow() + lifetime,
        )
    )
    return raw


def usable_token(raw: str, purpose: TokenPurpose) -> AccountToken:
    """The token row if the link can still be used; raise a translated error otherwise."""
    digest = hashlib.sha256(raw.encode()).hexdigest()
    token = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == digest, AccountToken.purpose == purpose.value)
    )
    if token is None:
        raise ServiceError(_l("This link is not valid. Please ask for a new one."))
    if token.used_at is not None:
        raise ServiceError(_l("This link has already been used. Please ask for a new one."))
    if as_utc(token.expires_at) < utcnow():
        raise ServiceError(_l("This link has expired. Please ask for a new one."))
    return token


def take_token(raw: str, purpose: TokenPurpose) -> AccountToken:
    """Return the token row if the token is valid, marking it used; raise otherwise."""
    token = usable_token(raw, purpose)
    # Single use even under concurrency: only one UPDATE can flip used_at from NULL.
    flipped = db.session.execute(
        AccountToken.__table__.update()
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if flipped != 1:
        raise ServiceError(_l("This link has already been used. Please ask for a new one."))
    db.session.expire(token)
    return token


def register(email, password, display_name, locale, district, link_for) -> User | None:
    """Create an account and email a confirmation link. ``link_for(kind, token)`` builds the absolute URL.

    If the email is already registered, nothing is created: the owner gets an email saying so, and the caller
    answers exactly as for a new account, so registration does not reveal who has an account.
    """
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None:
        _send(existing, existing.locale, "already_registered", _l("You already have an account"),
              user=existing, login_url=link_for("login", None), reset_url=link_for("forgot", None))
        return None
    user = User(email=email, password_hash=hash_password(password), display_name=display_name.strip(),
                locale=locale, district=district, role=Role.RESIDENT)
    db.session.add(user)
    db.session.flush()
    send_confirmation(user, link_for)
    return user


def send_confirmation(user: User, link_for) -> None:
    raw = new_token(user, TokenPurpose.CONFIRM, timedelta(hours=current_app.config["CONFIRM_TOKEN_HOURS"]))
    _send(user, user.locale, "confirm", _l("Confirm your email address"), user=user,
          url=link_for("confirm", raw), hours=current_app.config["CONFIRM_TOKEN_HOURS"])


def confirm_email(raw: str) -> User:
    token = take_token(raw, TokenPurpose.CONFIRM)
    user = token.user
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def request_password_reset(email: str, link_for) -> None:
    """Email a reset link if the account exists; do nothing visible otherwise."""
    user = find_user_by_email(email)
    if user is None:
        return
    raw = new_token(user, TokenPurpose.RESET, timedelta(hours=current_app.config["RESET_TOKEN_HOURS"]))
    _send(user, user.locale, "reset", _l("Reset your password"), user=user, url=link_for("reset", raw),
          hours=current_app.config["RESET_TOKEN_HOURS"])


def check_reset_token(raw: str) -> None:
    """Raise if a reset link cannot be used, without using it (to show the form only for valid links)."""
    usable_token(raw, TokenPurpose.RESET)


def reset_password(raw: str, new_password: str) -> User:
    token = take_token(raw, TokenPurpose.RESET)
    user = token.user
    _set_password(user, new_password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the link proved the address
    # Every other reset link of this account stops working too.
    db.session.execute(
        AccountToken.__table__.update()
        .where(AccountToken.user_id == user.id, AccountToken.purpose == TokenPurpose.RESET.value,
               AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    audit.record(user, "account.password_reset", user)
    return user


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    user.session_token = secrets.token_hex(16)


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not _verify(user.password_hash, current_password):
        raise ServiceError(_l("Your current password is not correct."), field="current_password")
    _set_password(user, new_password)
    audit.record(user, "account.password_changed", user)


def is_suspended(user) -> bool:
    until = getattr(user, "suspended_until", None)
    return until is not None and as_utc(until) > utcnow()


def ensure_can_write(user) -> None:
    """Refuse any writing (proposal, support, comment, report) from a suspended account: it can still read."""
    if is_suspended(user):
        raise NotAllowed(_l("Your account is suspended until %(date)s: you can read but not write.",
                            date=format_datetime(as_utc(user.suspended_until), "short")))


def update_profile(user: User, display_name: str, locale: str, district) -> None:
    user.display_name = display_name.strip()
    user.locale = locale
    user.district = district


def set_role(actor: User, user: User, role: Role) -> None:
    """An official gives a user a role. The city always keeps at least one official."""
    if not actor.has_role(Role.OFFICIAL):
        raise NotAllowed(_l("Only an official can change roles."))
    if user.role == role:
        return
    if user.role == Role.OFFICIAL:
        officials = db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.OFFICIAL))
        if officials <= 1:
            raise ServiceError(_l("The last official cannot lose the role: give it to someone else first."))
    previous = user.role
    user.role = role
    audit.record(actor, "user.role_changed", user, before=previous.value, after=role.value)


def role_label(role: Role) -> str:
    return {
        Role.RESIDENT: gettext("Resident"),
        Role.MODERATOR: gettext("Moderator"),
        Role.OFFICIAL: gettext("City official"),
        Role.AGENT: gettext("Call-center agent"),
        Role.TEACHER: gettext("Teacher"),
    }[role]
