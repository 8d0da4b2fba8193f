"""What the privacy feature does: residents' choices, the download of their data, the deletion of their account,
and the retention periods ``flask pb purge`` applies. Services take the acting user, flush, and never commit."""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from app.accounts import services as accounts
from app.accounts.models import AccountToken, Role, TokenPurpose, User
from app.core import audit, purge
from app.core.clock import as_utc, months_before, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry, Notification, OutboxMessage
from app.extensions import db
from app.privacy.models import ConsentKind, ConsentRecord
from app.privacy.permissions import can

# The version of each choice's text. Change it when the wording of a choice changes: the history then shows which
# text each decision answered, and the settings page asks residents who decided on an older text to look again.
TEXT_VERSIONS: dict[ConsentKind, str] = {
    ConsentKind.SHOW_NAME: "2026-12",
    ConsentKind.CONTACT: "2026-12",
    ConsentKind.RESEARCH: "2026-12",
    ConsentKind.NEWS: "2026-12",
}

PSEUDONYM_MIN, PSEUDONYM_MAX = 3, 40
_PSEUDONYM_RE = re.compile(r"^[\w][\w .'-]*$")
# Generated pseudonyms: the Latin names of trees of the region, read the same in every language, and a number.
_TREES = ("Acer", "Alnus", "Betula", "Carpinus", "Castanea", "Corylus", "Fagus", "Fraxinus", "Ilex", "Juglans",
          "Malus", "Populus", "Prunus", "Quercus", "Salix", "Sorbus", "Taxus", "Tilia", "Ulmus", "Viburnum")


def choice_texts() -> dict[ConsentKind, tuple[str, str]]:
    """Each choice's title and one-line plain explanation, in the current language."""
    return {
        ConsentKind.SHOW_NAME: (
            gettext("My name on public pages"),
            gettext("Your proposals and comments show either the name you gave or a pseudonym; staff always "
                    "know who you are."),
        ),
        ConsentKind.CONTACT: (
            gettext("The city may contact me"),
            gettext("City staff may email you about your proposals and comments (progress of your project, "
                    "a question about your idea)."),
        ),
        ConsentKind.RESEARCH: (
            gettext("Research on participation"),
            gettext("Your district, age bracket and how you took part (online, phone, paper) may be counted, "
                    "without your name, in datasets for research. Never what you voted for."),
        ),
        ConsentKind.NEWS: (
            gettext("News about future budgets"),
            gettext("We email you when a new participatory budget opens, at most a few times a year."),
        ),
    }


# --- choices ---------------------------------------------------------------------------------------------------------


def history(user: User) -> list[ConsentRecord]:
    return list(db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user.id)
                                   .order_by(ConsentRecord.id.desc())))


def current_choices(user: User) -> dict[ConsentKind, ConsentRecord]:
    """The latest decision on each choice (missing: never decided, which counts as "no")."""
    latest: dict[ConsentKind, ConsentRecord] = {}
    for record in reversed(history(user)):
        latest[record.kind] = record
    return latest


def has_consented(user, kind: ConsentKind) -> bool:
    if user is None or getattr(user, "id", None) is None or getattr(user, "deleted_at", None) is not None:
        return False
    granted = db.session.scalar(select(ConsentRecord.granted).where(ConsentRecord.user_id == user.id,
                                                                    ConsentRecord.kind == kind)
                                .order_by(ConsentRecord.id.desc()).limit(1))
    return bool(granted)


def consenting_user_ids(kind: ConsentKind) -> set[int]:
    """Every account whose latest decision on ``kind`` is yes."""
    latest = (select(ConsentRecord.user_id, func.max(ConsentRecord.id).label("last"))
              .where(ConsentRecord.kind == kind).group_by(ConsentRecord.user_id).subquery())
    return set(db.session.scalars(
        select(ConsentRecord.user_id).join(latest, latest.c.last == ConsentRecord.id)
        .join(User, User.id == ConsentRecord.user_id)
        .where(ConsentRecord.granted.is_(True), User.deleted_at.is_(None))))


def _check_pseudonym(user: User, wanted: str) -> str:
    wanted = " ".join(wanted.split())
    if not PSEUDONYM_MIN <= len(wanted) <= PSEUDONYM_MAX or not _PSEUDONYM_RE.match(wanted):
        raise ServiceError(_l("A pseudonym has between %(min)d and %(max)d characters: letters, digits, spaces, "
                              "dots, apostrophes and hyphens.", min=PSEUDONYM_MIN, max=PSEUDONYM_MAX),
                           field="pseudonym")
    lowered = wanted.lower()
    if lowered == (user.display_name or "").strip().lower():
        raise ServiceError(_l("A pseudonym must differ from your name."), field="pseudonym")
    reserved = {gettext("Former participant").lower(), "former participant", "ancien participant"}
    taken = db.session.scalar(select(func.count()).select_from(User).where(
        User.id != user.id,
        or_(func.lower(User.pseudonym) == lowered, func.lower(User.display_name) == lowered)))
    if lowered in reserved or taken:
        raise ServiceError(_l("This pseudonym is already used by someone. Please choose another."), field="pseudonym")
    return wanted


def generate_pseudonym() -> str:
    for _attempt in range(20):
        candidate = f"{secrets.choice(_TREES)}-{secrets.randbelow(9000) + 1000}"
        if db.session.scalar(select(User.id).where(User.pseudonym == candidate)) is None:
            return candidate
    return f"{secrets.choice(_TREES)}-{secrets.token_hex(4)}"


def set_choice(actor: User, kind: ConsentKind, granted: bool, pseudonym: str = "") -> ConsentRecord:
    """Record the resident's decision on one choice and apply it. ``pseudonym`` only for SHOW_NAME withdrawn:
    empty keeps the pseudonym the account has, or generates one."""
    if not can(actor, "manage_own"):
        raise NotAllowed(_l("Only the account holder can change these choices."))
    detail = ""
    if kind == ConsentKind.SHOW_NAME:
        if not granted:
            if pseudonym.strip():
                actor.pseudonym = _check_pseudonym(actor, pseudonym)
            elif not actor.pseudonym:
                actor.pseudonym = generate_pseudonym()
            detail = actor.pseudonym
        actor.use_pseudonym = not granted
    record = ConsentRecord(user_id=actor.id, kind=kind, granted=granted, text_version=TEXT_VERSIONS[kind],
                           detail=detail)
    db.session.add(record)
    db.session.flush()
    return record


# --- effects of the choices elsewhere ---------------------------------------------------------------------------------


def may_contact(user) -> bool:
    """Whether the city may send this person emails about their proposals and comments that they did not ask for
    otherwise (followers' emails and account emails do not depend on it)."""
    return has_consented(user, ConsentKind.CONTACT)


def news_recipients() -> list[User]:
    """Confirmed accounts that asked for news about future budgets by email."""
    ids = consenting_user_ids(ConsentKind.NEWS)
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids), User.email_confirmed_at.is_not(None))
                                   .order_by(User.id)))


def age_bracket(birth_year: int | None, year: int) -> str:
    if birth_year is None:
        return ""
    age = year - birth_year
    for upper, label in ((17, "under-18"), (24, "18-24"), (34, "25-34"), (49, "35-49"), (64, "50-64")):
        if age <= upper:
            return label
    return "65+"


def research_rows(cycle) -> list[dict]:
    """The participation of residents who agreed to research, for one cycle: district, age bracket, channel and
    day. Nothing else: no account, no name, and never a ballot (the register holds none)."""
    from app.voting.census import CENSUS_PREFIX
    from app.voting.models import BirthYearDeclaration, CensusEntry, Participation
    from app.voting.services import voter_key

    ids = consenting_user_ids(ConsentKind.RESEARCH)
    if not ids:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    entries = {e.user_id: e for e in db.session.scalars(select(CensusEntry).where(CensusEntry.user_id.in_(ids)))}
    declared = dict(db.session.execute(select(BirthYearDeclaration.user_id, BirthYearDeclaration.birth_year)
                                       .where(BirthYearDeclaration.user_id.in_(ids))).all())
    by_key = {}
    for user_id, user in users.items():
        entry = entries.get(user_id)
        key = CENSUS_PREFIX + entry.identifier_hash if entry else voter_key(user)
        by_key[key] = (entry.district.name if entry else (user.district.name if user.district else ""),
                       entry.birth_year if entry else declared.get(user_id))
    rows = []
    for participation in db.session.scalars(select(Participation).where(Participation.cycle_id == cycle.id,
                                                                         Participation.voter_key.in_(by_key))):
        district, birth_year = by_key[participation.voter_key]
        rows.append({"district": district, "age_bracket": age_bracket(birth_year, participation.day.year),
                     "channel": participation.channel.value, "day": participation.day.isoformat()})
    rows.sort(key=lambda row: (row["day"], row["district"], row["channel"], row["age_bracket"]))
    return rows


# --- download my data -------------------------------------------------------------------------------------------------


def prepare_download(actor: User) -> str:
    """A single-use link token for the holder's data; only its hash is stored, and it expires."""
    if not can(actor, "manage_own"):
        raise NotAllowed(_l("Only the account holder can download their data."))
    minutes = current_app.config["DATA_EXPORT_LINK_MINUTES"]
    raw = accounts.new_token(actor, TokenPurpose.EXPORT, timedelta(minutes=minutes))
    audit.record(None, "privacy.download_prepared", ("user", actor.id))
    return raw


def take_download(actor: User, raw: str) -> dict:
    """Use the link (once) and return the archive. Another account's link is refused and stays unused."""
    if not can(actor, "manage_own"):
        raise NotAllowed(_l("Only the account holder can download their data."))
    token = accounts.usable_token(raw, TokenPurpose.EXPORT)
    if token.user_id != actor.id:
        raise NotAllowed(_l("This link belongs to another account."))
    accounts.take_token(raw, TokenPurpose.EXPORT)
    audit.record(None, "privacy.downloaded", ("user", actor.id))
    return personal_data(actor)


def _when(value):
    return as_utc(value).isoformat() if value is not None else None


def personal_data(user: User) -> dict:
    """Everything the platform holds about ``user``, as plain JSON-ready data."""
    from app.callcenter.models import Call, Caller, CallerInterest
    from app.cycles.models import Cycle
    from app.deliberation.models import Comment, CommentUseful, Report, Suspension
    from app.proposals.models import Coauthor, Follow, Proposal, Support
    from app.voting.census import CENSUS_PREFIX
    from app.voting.models import BirthYearDeclaration, CensusEntry, Participation
    from app.voting.services import voter_key

    def rows(query):
        return list(db.session.scalars(query))

    entry = db.session.scalar(select(CensusEntry).where(CensusEntry.user_id == user.id))
    declared = db.session.get(BirthYearDeclaration, user.id)
    keys = [voter_key(user)] + ([CENSUS_PREFIX + entry.identifier_hash] if entry else [])
    participations = db.session.execute(
        select(Participation, Cycle).join(Cycle, Cycle.id == Participation.cycle_id)
        .where(Participation.voter_key.in_(keys)).order_by(Participation.id)).all()
    callers = rows(select(Caller).where(Caller.email.is_not(None),
                                        func.lower(Caller.email) == user.email.lower()))
    caller_ids = [c.id for c in callers]
    calls = rows(select(Call).where(Call.caller_id.in_(caller_ids)).order_by(Call.id)) if caller_ids else []
    interests = rows(select(CallerInterest).where(CallerInterest.caller_id.in_(caller_ids))) if caller_ids else []
    audit_rows = rows(select(AuditEntry).where(or_(AuditEntry.actor_id == user.id,
                                                   (AuditEntry.target_type == "user")
                                                   & (AuditEntry.target_id == str(user.id))))
                      .order_by(AuditEntry.id))
    return {
        "format": "budget-commun-personal-data/1",
        "generated_at": _when(utcnow()),
        "account": {
            "id": user.id, "email": user.email, "display_name": user.display_name, "pseudonym": user.pseudonym,
            "public_name": user.public_name, "locale": user.locale, "role": user.role.value,
            "district": user.district.name if user.district else None, "created_at": _when(user.created_at),
            "email_confirmed_at": _when(user.email_confirmed_at), "last_login_at": _when(user.last_login_at),
            "suspended_until": _when(user.suspended_until),
        },
        "choices": [{"choice": r.kind.value, "granted": r.granted, "text_version": r.text_version,
                     "pseudonym": r.detail or None, "recorded_at": _when(r.recorded_at), "channel": r.channel}
                    for r in sorted(history(user), key=lambda r: r.id)],
        "proposals": [{"id": p.id, "cycle": p.cycle.title, "title": p.title, "text": p.body,
                       "status": p.status.value, "address": p.address, "latitude": p.latitude,
                       "longitude": p.longitude, "estimated_cost_cents": p.estimated_cost_cents,
                       "channel": p.channel, "created_at": _when(p.created_at), "submitted_at": _when(p.submitted_at)}
                      for p in rows(select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.id))],
        "coauthored_proposals": rows(select(Coauthor.proposal_id).where(Coauthor.user_id == user.id)),
        "comments": [{"id": c.id, "proposal_id": c.proposal_id, "text": c.body, "stance": c.stance.value,
                      "visibility": c.visibility.value, "created_at": _when(c.created_at),
                      "edited_at": _when(c.edited_at), "deleted_at": _when(c.deleted_at)}
                     for c in rows(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))],
        "supports": [{"proposal_id": s.proposal_id, "created_at": _when(s.created_at)}
                     for s in rows(select(Support).where(Support.user_id == user.id).order_by(Support.id))],
        "follows": [{"proposal_id": f.proposal_id, "by_email": f.by_email, "created_at": _when(f.created_at)}
                    for f in rows(select(Follow).where(Follow.user_id == user.id).order_by(Follow.id))],
        "useful_marks": [{"comment_id": m.comment_id, "created_at": _when(m.created_at)}
                         for m in rows(select(CommentUseful).where(CommentUseful.user_id == user.id))],
        "reports_made": [{"target": f"{r.target_type}:{r.target_id}", "reason": r.reason.value, "details": r.details,
                          "status": r.status.value, "created_at": _when(r.created_at)}
                         for r in rows(select(Report).where(Report.reporter_id == user.id).order_by(Report.id))],
        "suspensions": [{"starts_at": _when(s.starts_at), "ends_at": _when(s.ends_at), "reason": s.reason,
                         "lifted_at": _when(s.lifted_at)}
                        for s in rows(select(Suspension).where(Suspension.user_id == user.id))],
        "notifications": [{"kind": n.kind, "message": n.message, "link": n.link, "created_at": _when(n.created_at),
                           "read_at": _when(n.read_at)}
                          for n in rows(select(Notification).where(Notification.user_id == user.id)
                                        .order_by(Notification.id))],
        "census": ({"district": entry.district.name, "birth_year": entry.birth_year, "active": entry.active,
                    "bound_at": _when(entry.bound_at)} if entry else None),
        "declared_birth_year": declared.birth_year if declared else None,
        "participation": [{"cycle": cycle.title, "channel": p.channel.value, "day": p.day.isoformat(),
                           "note": gettext("The register records that you voted, never what: ballots are not "
                                           "linked to anyone.")}
                          for p, cycle in participations],
        "call_center": [{"name": c.name, "phone": c.phone, "email": c.email, "language": c.language,
                         "consent_at": _when(c.consent_at),
                         "calls": [{"date": _when(call.created_at), "outcome": call.outcome.value,
                                    "proposal_id": call.proposal_id, "request": call.complaint}
                                   for call in calls if call.caller_id == c.id],
                         "proposals_of_interest": [i.proposal_id for i in interests if i.caller_id == c.id]}
                        for c in callers],
        "activity_log": [{"action": a.action, "date": _when(a.created_at), "channel": a.channel}
                         for a in audit_rows],
    }


# --- delete my account ------------------------------------------------------------------------------------------------


def _only_official(user: User) -> bool:
    if user.role != Role.OFFICIAL:
        return False
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.OFFICIAL, User.deleted_at.is_(None))) <= 1


def delete_account(actor: User, password: str, remove_content: bool = False) -> None:
    """The holder deletes their account (password asked again). See ``erase_account``."""
    if not can(actor, "delete_own"):
        raise NotAllowed(_l("Only the account holder can delete their account."))
    if not accounts.verify_password(actor, password):
        raise ServiceError(_l("Your password is not correct."), field="password")
    if _only_official(actor):
        raise ServiceError(_l("You are the only city official: give the role to someone else first."))
    erase_account(actor, remove_content=remove_content, reason="holder")


def erase_account(user: User, remove_content: bool = False, reason: str = "holder") -> None:
    """Erase an account's personal data, keeping an empty row.

    - Proposals and comments stay, signed "former participant" (their author is unlinked). With ``remove_content``
      the comments are deleted as their author would (placeholder in the thread) and the proposals not yet reviewed
      are withdrawn; proposals reviewed, on a ballot or funded stay, as the city must account for them.
      Drafts, which nobody else ever saw, are deleted in every case.
    - Supports stay counted; follows, useful marks, notifications, tokens, choices, suspensions, the declared year
      of birth and emails waiting in the outbox are deleted; the census entry is unbound (its key stays in the
      participation register, so the person cannot vote twice in a cycle by binding it to a new account).
    - Ballots are untouched: nothing links them to anyone.
    - The audit log keeps what staff did, under a label without name or email.
    """
    from app.deliberation.models import Comment, CommentUseful, Report, Suspension
    from app.deliberation.services import _add_to_count
    from app.proposals.models import Coauthor, Follow, Proposal, ProposalStatus
    from app.proposals.services import change_status
    from app.voting.models import BirthYearDeclaration, CensusEntry

    now = utcnow()
    user_id, old_email = user.id, user.email
    for draft in db.session.scalars(select(Proposal).where(Proposal.author_id == user_id,
                                                           Proposal.status == ProposalStatus.DRAFT)):
        db.session.delete(draft)
    if remove_content:
        for proposal in db.session.scalars(select(Proposal).where(
                Proposal.author_id == user_id,
                Proposal.status.in_((ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW)))):
            change_status(None, proposal, ProposalStatus.WITHDRAWN, notify_people=False)
        for comment in db.session.scalars(select(Comment).where(Comment.author_id == user_id,
                                                                Comment.deleted_at.is_(None),
                                                                Comment.is_official.is_(False))):
            was_shown = comment.visibility.value == "visible"
            comment.deleted_at, comment.body, comment.body_html = now, "", ""
            db.session.flush()
            if was_shown:
                _add_to_count(db.session.get(Proposal, comment.proposal_id), -1)
    db.session.flush()
    db.session.execute(update(Proposal).where(Proposal.author_id == user_id).values(author_id=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Comment).where(Comment.author_id == user_id).values(author_id=None, ip_hash="")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Report).where(Report.reporter_id == user_id).values(reporter_id=None)
                       .execution_options(synchronize_session=False))
    for model in (Follow, Coauthor, CommentUseful, Notification, AccountToken, ConsentRecord, Suspension,
                  BirthYearDeclaration):
        db.session.execute(delete(model).where(model.user_id == user_id).execution_options(synchronize_session=False))
    db.session.execute(update(CensusEntry).where(CensusEntry.user_id == user_id).values(user_id=None, bound_at=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.recipient) == old_email.lower())
                       .execution_options(synchronize_session=False))
    label = f"deleted account #{user_id}"
    db.session.execute(update(AuditEntry).where(AuditEntry.actor_id == user_id).values(actor_label=label)
                       .execution_options(synchronize_session=False))
    user.email = f"deleted-{user_id}@invalid.invalid"
    user.password_hash = "!"  # noqa: S105 (matches no password: not a hash)
    user.display_name = ""
    user.pseudonym = None
    user.use_pseudonym = False
    user.district = None
    user.role = Role.RESIDENT
    user.email_confirmed_at = user.last_login_at = user.suspended_until = None
    user.session_token = secrets.token_hex(16)  # every session and remember-me cookie ends
    user.deleted_at = now
    audit.record(None, "account.deleted", ("user", user_id), reason=reason, content_removed=remove_content)
    db.session.flush()
    db.session.expire_all()


# --- retention: what ``flask pb purge`` erases ------------------------------------------------------------------------


def purge_unconfirmed(now) -> int:
    limit = now - timedelta(days=current_app.config["UNCONFIRMED_ACCOUNT_DAYS"])
    users = db.session.scalars(select(User).where(User.email_confirmed_at.is_(None), User.deleted_at.is_(None),
                                                  User.created_at <= limit).order_by(User.id)).all()
    for user in users:
        erase_account(user, reason="unconfirmed")
    return len(users)


def _deleted(statement) -> int:
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0


def purge_tokens(now) -> int:
    return _deleted(delete(AccountToken).where(AccountToken.expires_at <= now))


def purge_audit(now) -> int:
    return _deleted(delete(AuditEntry).where(
        AuditEntry.created_at <= months_before(now, current_app.config["AUDIT_RETENTION_MONTHS"])))


def purge_outbox(now) -> int:
    limit = now - timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"])
    return _deleted(delete(OutboxMessage).where(OutboxMessage.status != "pending", OutboxMessage.created_at <= limit))


def purge_notifications(now) -> int:
    limit = months_before(now, current_app.config["NOTIFICATION_RETENTION_MONTHS"])
    return _deleted(delete(Notification).where(Notification.read_at.is_not(None), Notification.created_at <= limit))


def purge_address_hashes(now) -> int:
    from app.deliberation.models import Comment

    limit = now - timedelta(days=current_app.config["ADDRESS_HASH_RETENTION_DAYS"])
    return db.session.execute(update(Comment).where(Comment.ip_hash != "", Comment.created_at <= limit)
                              .values(ip_hash="").execution_options(synchronize_session=False)).rowcount or 0


purge.register("unconfirmed_accounts", "Unconfirmed accounts erased", purge_unconfirmed)
purge.register("account_tokens", "Expired links deleted", purge_tokens)
purge.register("outbox", "Delivered emails deleted", purge_outbox)
purge.register("notifications", "Read notifications deleted", purge_notifications)
purge.register("address_hashes", "Commenters' address hashes blanked", purge_address_hashes)
purge.register("audit_log", "Audit log entries deleted", purge_audit)


# --- the public privacy page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataKind:
    what: str
    why: str
    kept: str
    who: str


def data_register() -> list[DataKind]:
    """What the platform stores, why, for how long and who sees it: built from the configuration, so the public
    page always states the retention periods ``flask pb purge`` applies."""
    config = current_app.config
    return [
        DataKind(gettext("Account: email address, name, pseudonym, language, district (optional)"),
                 gettext("To let you sign in, take part and receive the messages you ask for."),
                 gettext("Until you delete your account. An account whose email address is never confirmed is "
                         "erased after %(days)d days.", days=config["UNCONFIRMED_ACCOUNT_DAYS"]),
                 gettext("You. Staff (moderators, city officials) see your name and email address; the public sees "
                         "your name or your pseudonym, as you choose.")),
        DataKind(gettext("Your choices on this page, with their date and the version of their text"),
                 gettext("To prove what you agreed to, and when you changed your mind."),
                 gettext("As long as your account exists."),
                 gettext("You and city officials.")),
        DataKind(gettext("Proposals, comments, supports and follows"),
                 gettext("They are your contribution to the participatory budget."),
                 gettext("Proposals and comments stay public as written by a “former participant” after you "
                         "delete your account; follows are deleted with it."),
                 gettext("Everyone, except drafts (you only) and content hidden by moderation (staff).")),
        DataKind(gettext("The fact that you voted in a budget, the day and the channel (online, phone, paper)"),
                 gettext("So that each person votes only once."),
                 gettext("As long as the budget's results may be checked; it stays after you delete your account, "
                         "without your name."),
                 gettext("Nobody sees what you voted for: ballots are stored apart, without any link to you.")),
        DataKind(gettext("Census check: a keyed fingerprint of your identifier, your district and year of birth"),
                 gettext("To check that you may vote, where the city uses its list of residents."),
                 gettext("Kept by the city with its list; unlinked from your account when you delete it."),
                 gettext("Nobody can read the identifier back; staff see only whether an entry is used.")),
        DataKind(gettext("Call center: name, phone number and email of callers who agreed to be called back"),
                 gettext("To call you back about your request or your project."),
                 gettext("Erased %(months)d months after the budgets concerned close, or at once when you ask.",
                         months=config["CALLCENTER_RETENTION_MONTHS"]),
                 gettext("Call-center agents and city officials.")),
        DataKind(gettext("Schools: pupils' cards (a pseudonym such as an animal and a colour, a sign-in code kept "
                         "only as a keyed fingerprint), their ideas, comments and quiz answers; never a name, email "
                         "or date of birth"),
                 gettext("So that a class can run its own budget and follow the lessons."),
                 gettext("Erased at the end of the school year (or earlier, by the teacher); only anonymous totals "
                         "and the class's results remain."),
                 gettext("The class's teacher; classmates see ideas and comments once the teacher approved them.")),
        DataKind(gettext("Notifications and emails sent to you"),
                 gettext("To tell you what happens to the projects you follow."),
                 gettext("Read notifications: %(months)d months. Emails, once delivered: %(days)d days.",
                         months=config["NOTIFICATION_RETENTION_MONTHS"], days=config["OUTBOX_RETENTION_DAYS"]),
                 gettext("You; city officials can read emails waiting to be sent.")),
        DataKind(gettext("Activity log: who did what and when (staff actions, password changes)"),
                 gettext("Security, and to account for the city's decisions."),
                 gettext("%(months)d months.", months=config["AUDIT_RETENTION_MONTHS"]),
                 gettext("City officials.")),
        DataKind(gettext("A keyed fingerprint of the network address a comment came from"),
                 gettext("To stop floods of comments."),
                 gettext("%(days)d days.", days=config["ADDRESS_HASH_RETENTION_DAYS"]),
                 gettext("Nobody: it is never shown.")),
        DataKind(gettext("Links sent by email (confirmation, new password, data download)"),
                 gettext("To check that you are the holder of the address or the account."),
                 gettext("They work for %(hours)d hours at most and are deleted once expired.",
                         hours=max(config["CONFIRM_TOKEN_HOURS"], config["RESET_TOKEN_HOURS"])),
                 gettext("Nobody: only a fingerprint of each link is stored.")),
    ]
