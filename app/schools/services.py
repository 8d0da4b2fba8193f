"""Schools: schools and teachers, classes and their budget, pupils' cards, ideas, comments, votes and results.

A class budget is a ``Cycle`` of the city's engine marked with its school (``Cycle.school_id``): the city's pages
never list it. The teacher moves its phases by hand (ideas = submission, discussion = review, vote, results);
pupils' ideas are proposals of that cycle (approved by the teacher: feasible, at the price picked), ballots go
through ``app.voting.services.cast`` (channel "code", voter key ``pupil:<id>``) and the count through
``app.results.services`` with the rule the ballot rules announce.

Services take the acting user (a teacher, an official) or the acting pupil, flush, and leave the commit to the
caller. No personal data about children: a pupil is a card (pseudonym keys and the keyed hash of its code).
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.accounts.models import Role, User
from app.core import audit, purge
from app.core.clock import as_utc, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.images import process_upload
from app.core.rendering import render_markdown
from app.cycles.models import Cycle, Phase, PhaseKind
from app.cycles.services import phase_of
from app.extensions import db
from app.proposals.models import Proposal, ProposalImage, ProposalStatus
from app.schools.models import (
    Moderation,
    PriceItem,
    Pupil,
    PupilComment,
    PupilIdea,
    School,
    SchoolClass,
    SchoolTeacher,
    Stance,
)
from app.schools.permissions import can
from app.voting.codes import code_hash
from app.voting.models import BallotKind, BallotRules, Participation, VoteChannel
from app.voting.services import Voter, canonical_code, readable_code

# --- Words for children -----------------------------------------------------------------------------------------------

ANIMALS = {
    "fox": _l("Fox"), "owl": _l("Owl"), "bear": _l("Bear"), "otter": _l("Otter"), "hedgehog": _l("Hedgehog"),
    "badger": _l("Badger"), "rabbit": _l("Rabbit"), "deer": _l("Deer"), "seal": _l("Seal"),
    "squirrel": _l("Squirrel"), "heron": _l("Heron"), "lynx": _l("Lynx"), "beaver": _l("Beaver"),
    "dolphin": _l("Dolphin"), "panda": _l("Panda"), "koala": _l("Koala"), "penguin": _l("Penguin"),
    "tiger": _l("Tiger"),
}
# Colours whose French word does not change with the animal's gender (a "Chouette orange", a "Renard orange").
COLOURS = {
    "orange": _l("orange"), "turquoise": _l("turquoise"), "indigo": _l("indigo"), "coral": _l("coral"),
    "emerald": _l("emerald"), "saffron": _l("saffron"), "cherry": _l("cherry"), "olive": _l("olive"),
    "lilac": _l("lilac"), "ochre": _l("ochre"), "azure": _l("azure"), "mustard": _l("mustard"),
}
# Icons of the price list (shown beside an idea): key -> (symbol, name read by screen readers).
ICONS = {
    "tree": ("🌳", _l("Nature")), "ball": ("⚽", _l("Sport")), "book": ("📚", _l("Books")),
    "paint": ("🎨", _l("Art")), "bench": ("🪑", _l("Furniture")), "music": ("🎵", _l("Music")),
    "game": ("🎲", _l("Games")), "apple": ("🍎", _l("Food")), "star": ("⭐", _l("Other")),
}
# The phases a teacher moves through, in order, and what the children read.
CLASS_PHASES = (PhaseKind.SUBMISSION, PhaseKind.REVIEW, PhaseKind.VOTING, PhaseKind.RESULTS)
CLASS_PHASE_LABELS = {
    PhaseKind.SUBMISSION: _l("Ideas"),
    PhaseKind.REVIEW: _l("Discussion"),
    PhaseKind.VOTING: _l("Vote"),
    PhaseKind.RESULTS: _l("Results"),
}
GRADES = {1: _l("CP"), 2: _l("CE1"), 3: _l("CE2"), 4: _l("CM1"), 5: _l("CM2"), 6: _l("6th grade (6e)"),
          7: _l("7th grade (5e)"), 8: _l("8th grade (4e)"), 9: _l("9th grade (3e)"), 10: _l("10th grade (2de)"),
          11: _l("11th grade (1re)"), 12: _l("12th grade (Terminale)")}
KINDS = (BallotKind.APPROVAL, BallotKind.KNAPSACK)
CARD_CODE_LENGTH = 12  # 12 symbols of Crockford's base 32: 60 bits
CLASS_CODE_LENGTH = 8
MAX_CARDS = 40
MAX_BUDGET_CENTS = 10_000_000  # 100,000 euros: a school's budget is small
SESSION_HASH = 16  # the start of the card's hash a session keeps: a reprinted or cancelled card signs its pupil out


def pseudonym(animal: str, colour: str) -> str:
    from flask_babel import gettext

    return gettext("%(animal)s %(colour)s", animal=ANIMALS.get(animal, animal), colour=COLOURS.get(colour, colour))


def phase_label(kind) -> str:
    return str(CLASS_PHASE_LABELS[PhaseKind(kind)]) if kind in CLASS_PHASE_LABELS else ""


def grade_label(level: int) -> str:
    return str(GRADES.get(level, level))


def lesson_progress(school_class: SchoolClass) -> dict:
    """The lessons' progress of the class, for the teacher's dashboard: ``{"totals": [...], "pupils": [...]}``.

    ``totals`` has one entry per lesson (``app.lessons.services.lesson_totals``: pupils who answered its quiz, right
    answers and questions); ``pupils`` pairs each card's pseudonym with its own progress (lessons done, score), never
    shown to classmates. After the erasure, only the anonymous totals kept in ``school_class.totals`` remain."""
    from app.lessons import services as lessons
    from app.lessons.content import LESSONS

    titles = {lesson.slug: lesson.title for lesson in LESSONS}
    if school_class.erased_at is not None:
        totals, pupils = (school_class.totals or {}).get("lessons", []), []
    else:
        pupils = list(db.session.scalars(select(Pupil).where(Pupil.class_id == school_class.id,
                                                             Pupil.revoked_at.is_(None)).order_by(Pupil.id)))
        totals = _lesson_totals([pupil.learner_key for pupil in pupils])
    progress = lessons.progress([pupil.learner_key for pupil in pupils])
    return {"totals": [row | {"title": titles[row["slug"]]} for row in totals if row["slug"] in titles],
            "pupils": [(pupil.pseudonym, progress[pupil.learner_key]) for pupil in pupils]}


def _lesson_totals(learner_keys: list[str]) -> list[dict]:
    """Anonymous totals per lesson (slug, pupils done, right answers, questions): plain data, kept after erasure."""
    from app.lessons import services as lessons

    return [{key: row[key] for key in ("slug", "done", "score", "questions")}
            for row in lessons.lesson_totals(learner_keys)]


# --- Schools and teachers ---------------------------------------------------------------------------------------------

def _require(actor, action: str, obj=None, message=None) -> None:
    if not can(actor, action, obj):
        raise NotAllowed(message or _l("You are not allowed to do this."))


def create_school(actor, name: str, district=None) -> School:
    _require(actor, "school.create")
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("Please give the school's name."), field="name")
    school = School(name=name[:150], district=district)
    db.session.add(school)
    db.session.flush()
    audit.record(actor, "school.created", school)
    return school


def grant_teacher(actor, school: School, email: str, coordinator: bool = False) -> SchoolTeacher:
    """Make the account with ``email`` a teacher of ``school`` (its role becomes teacher; staff keep theirs out:
    an official, moderator or agent cannot also be a teacher). Only an official may name a coordinator."""
    _require(actor, "school.teachers", school)
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None:
        raise ServiceError(_l("There is no account with this email address: ask the teacher to create one first."),
                           field="email")
    if user.role not in (Role.RESIDENT, Role.TEACHER):
        raise ServiceError(_l("This account belongs to city staff: it cannot be a teacher's account too."),
                           field="email")
    if coordinator and actor.role != Role.OFFICIAL:
        raise NotAllowed(_l("Only the city can name a school's coordinator."))
    membership = db.session.scalar(select(SchoolTeacher).where(SchoolTeacher.school_id == school.id,
                                                               SchoolTeacher.user_id == user.id))
    if membership is None:
        membership = SchoolTeacher(school=school, user=user)
        db.session.add(membership)
    membership.coordinator = membership.coordinator or coordinator
    user.role = Role.TEACHER
    db.session.flush()
    audit.record(actor, "school.teacher_granted", school, teacher=user.id, coordinator=membership.coordinator)
    return membership


def update_school(actor, school: School, name: str, district=None) -> None:
    """An official renames a school or changes its district."""
    _require(actor, "school.edit", school)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("Please give the school's name."), field="name")
    school.name, school.district = name[:150], district
    db.session.flush()
    audit.record(actor, "school.updated", school)


def classes_in(school: School) -> list[SchoolClass]:
    return list(db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school.id)
                                   .order_by(SchoolClass.school_year.desc(), SchoolClass.name)))


def delete_school(actor, school: School) -> None:
    """An official deletes a school created by mistake or closed before any class: a school with classes keeps
    their results. Its teachers who teach nowhere else become residents again."""
    _require(actor, "school.delete", school)
    if classes_in(school) or db.session.scalar(select(Cycle.id).where(Cycle.school_id == school.id).limit(1)):
        raise ServiceError(_l("This school has classes: it cannot be deleted (their results are kept)."))
    users = [membership.user for membership in school.teachers]
    audit.record(actor, "school.deleted", school, name=school.name)
    db.session.delete(school)
    db.session.flush()
    for user in users:
        _demote_if_teaching_nowhere(user)


def _demote_if_teaching_nowhere(user: User) -> None:
    if user.role == Role.TEACHER and db.session.scalar(
            select(func.count()).select_from(SchoolTeacher).where(SchoolTeacher.user_id == user.id)) == 0:
        user.role = Role.RESIDENT
        db.session.flush()


def open_classes_of(membership: SchoolTeacher) -> list[SchoolClass]:
    """The classes a teacher still runs in the school (their pupils' data not erased yet)."""
    return list(db.session.scalars(select(SchoolClass).where(
        SchoolClass.school_id == membership.school_id, SchoolClass.teacher_id == membership.user_id,
        SchoolClass.erased_at.is_(None)).order_by(SchoolClass.name)))


def remove_teacher(actor, membership: SchoolTeacher) -> None:
    """Take a teacher off a school (an official, or the school's coordinator for a teacher who is not one). Their
    classes still running go to another teacher first (``hand_over``). A teacher who teaches nowhere else becomes a
    resident again."""
    school = membership.school
    _require(actor, "school.teachers", school)
    if membership.coordinator and actor.role != Role.OFFICIAL:
        raise NotAllowed(_l("Only the city can take a coordinator off a school."))
    if open_classes_of(membership):
        raise ServiceError(_l("This teacher still runs classes here: hand them over to another teacher first."))
    user = membership.user
    school.teachers.remove(membership)
    db.session.flush()
    _demote_if_teaching_nowhere(user)
    audit.record(actor, "school.teacher_removed", school, teacher=user.id)


def hand_over(actor, klass: SchoolClass, membership: SchoolTeacher | None) -> None:
    """Give a class to another teacher of its school (a teacher leaves, or falls ill): they manage it from now on,
    with its cards, ideas and budget as they are."""
    _require(actor, "school.teachers", klass.school)
    if membership is None or membership.school_id != klass.school_id:
        raise ServiceError(_l("Choose a teacher of this school."), field="teacher")
    if membership.user_id == klass.teacher_id:
        raise ServiceError(_l("This teacher already runs this class."), field="teacher")
    previous = klass.teacher_id
    klass.teacher_id = membership.user_id
    klass.teacher = membership.user
    db.session.flush()
    audit.record(actor, "school.class_handed_over", klass, teacher=membership.user_id, previous=previous)


def schools_of(user) -> list[School]:
    """The schools a user works with: every school for an official, their own for a teacher."""
    query = select(School).order_by(School.name)
    if user.role != Role.OFFICIAL:
        query = query.join(SchoolTeacher).where(SchoolTeacher.user_id == user.id)
    return list(db.session.scalars(query))


def classes_of(user) -> list[SchoolClass]:
    return list(db.session.scalars(select(SchoolClass).where(SchoolClass.teacher_id == user.id)
                                   .order_by(SchoolClass.school_year.desc(), SchoolClass.name)))


def teachers_of(school: School) -> list[SchoolTeacher]:
    return sorted(school.teachers, key=lambda t: t.user.display_name.casefold())


# --- Classes ----------------------------------------------------------------------------------------------------------

def _year_end(school_year: str) -> date:
    """The end of a school year "2026-2027": the first Saturday of July of its second year (early enough)."""
    try:
        first, second = (int(part) for part in school_year.split("-"))
    except ValueError:
        raise ServiceError(_l("Write the school year as two years, for example 2026-2027."), field="school_year")
    if second != first + 1 or not 2000 <= first <= 2200:
        raise ServiceError(_l("Write the school year as two years, for example 2026-2027."), field="school_year")
    return date(second, 7, 7)


def create_class(actor, school: School, name: str, grade_level: int, school_year: str) -> SchoolClass:
    _require(actor, "class.create", school, _l("Only a teacher of this school can create a class there."))
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("Please give the class a name."), field="name")
    if grade_level not in GRADES:
        raise ServiceError(_l("Please choose the class's level."), field="grade_level")
    ends = _year_end((school_year or "").strip())
    klass = SchoolClass(school=school, teacher_id=actor.id, name=name[:80], grade_level=grade_level,
                        school_year=school_year.strip(), year_ends_on=ends,
                        code=readable_code(CLASS_CODE_LENGTH), totals={})
    db.session.add(klass)
    db.session.flush()
    audit.record(actor, "school.class_created", klass)
    return klass


def delete_class(actor, klass: SchoolClass) -> None:
    """The teacher deletes a class created by mistake, before its budget opens: its cards (and the lessons' answers
    given with them) and price list go with it. Once the budget is open, the class keeps its results: its pupils'
    data are erased at the end of the school year instead."""
    _require(actor, "class.manage", klass)
    if klass.cycle_id is not None:
        raise ServiceError(_l("This class has opened its budget: it cannot be deleted. At the end of the school "
                              "year, erase the pupils' data instead."))
    from app.lessons import services as lessons

    pupils = pupils_of(klass)
    lessons.erase([pupil.learner_key for pupil in pupils])
    audit.record(actor, "school.class_deleted", klass, name=klass.name, cards=len(pupils))
    db.session.execute(delete(Pupil).where(Pupil.class_id == klass.id))
    db.session.execute(delete(PriceItem).where(PriceItem.class_id == klass.id))
    db.session.delete(klass)
    db.session.flush()


def class_phase(klass: SchoolClass) -> PhaseKind | None:
    return phase_of(klass.cycle) if klass.cycle is not None else None


def create_budget(actor, klass: SchoolClass, title: str, budget_cents: int | None, kind,
                  whole_school: bool = False) -> Cycle:
    """Give the class its budget: a cycle of the school, in its ideas phase from now, with approval ballots (or
    knapsack ones for older pupils). ``whole_school``: the other classes of the school without a budget share it."""
    _require(actor, "class.manage", klass)
    if klass.erased_at is not None:
        raise ServiceError(_l("This class's school year is over."))
    if klass.cycle_id is not None:
        raise ServiceError(_l("This class already has its budget."))
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("Please give the budget a name."), field="title")
    if not budget_cents or budget_cents <= 0 or budget_cents > MAX_BUDGET_CENTS:
        raise ServiceError(_l("Please give an amount between 1 and 100,000 euros."), field="budget")
    try:
        kind = BallotKind(kind)
    except ValueError:
        kind = None
    if kind not in KINDS:
        raise ServiceError(_l("Please choose how pupils vote."), field="kind")
    now = utcnow()
    cycle = Cycle(slug=f"school-{klass.id}-{secrets.token_hex(4)}", title_fr=title[:200], title_en=title[:200],
                  title_nl=title[:200], total_budget_cents=budget_cents, citywide_envelope_cents=budget_cents,
                  school_id=klass.school_id)
    cycle.phases.append(Phase(kind=PhaseKind.SUBMISSION, starts_at=now - timedelta(minutes=1)))
    db.session.add(cycle)
    db.session.flush()
    db.session.add(BallotRules(cycle_id=cycle.id, kind=kind, min_choices=1,
                               max_choices=3 if kind == BallotKind.APPROVAL else None, counting_rule="greedy"))
    classes = [klass]
    if whole_school:
        classes += list(db.session.scalars(select(SchoolClass).where(
            SchoolClass.school_id == klass.school_id, SchoolClass.cycle_id.is_(None), SchoolClass.id != klass.id,
            SchoolClass.erased_at.is_(None))))
    for each in classes:
        each.cycle_id = cycle.id
        each.cycle = cycle
    db.session.flush()
    audit.record(actor, "school.budget_created", cycle, school_class=klass.id, classes=len(classes))
    return cycle


def next_phase(klass: SchoolClass) -> PhaseKind | None:
    current = class_phase(klass)
    if current not in CLASS_PHASES:
        return None
    index = CLASS_PHASES.index(current)
    return CLASS_PHASES[index + 1] if index + 1 < len(CLASS_PHASES) else None


def _budget_owner(actor, klass: SchoolClass) -> None:
    """The class's teacher moves its budget; a budget shared by the school may be moved by the teacher of any class
    that shares it (they agree among themselves: the school is small)."""
    _require(actor, "class.manage", klass)
    if klass.cycle is None:
        raise ServiceError(_l("This class has no budget yet."))


def move_phase(actor, klass: SchoolClass) -> PhaseKind:
    """Move the class's budget to its next phase now. Opening the vote needs approved ideas and puts them on the
    ballot; opening the results counts the votes and publishes them (the count explains each idea)."""
    from app.results.services import publish, run_tally
    from app.review.services import freeze_ballot

    _budget_owner(actor, klass)
    target = next_phase(klass)
    if target is None:
        raise ServiceError(_l("This budget has no next step."))
    cycle = klass.cycle
    if target == PhaseKind.VOTING and not approved_ideas(cycle):
        raise ServiceError(_l("Approve at least one idea before opening the vote."))
    now = utcnow()
    current = next(p for p in cycle.phases if PhaseKind(p.kind) == class_phase(klass))
    if as_utc(current.starts_at) >= now:
        current.starts_at = now - timedelta(seconds=1)
    current.ends_at = now
    cycle.phases.append(Phase(kind=target, starts_at=now))
    db.session.flush()
    if target == PhaseKind.VOTING:
        freeze_ballot(None, cycle)
    if target == PhaseKind.RESULTS:
        db.session.expire(cycle, ["phases"])
        run = run_tally(None, cycle)
        publish(None, run)
        klass.totals = {**(klass.totals or {}), **participation(klass)}
    audit.record(actor, "school.phase_moved", cycle, phase=target.value)
    db.session.flush()
    return target


# --- Price list -------------------------------------------------------------------------------------------------------

def add_price(actor, klass: SchoolClass, label: str, icon: str, cost_cents: int | None) -> PriceItem:
    _require(actor, "class.manage", klass)
    label = (label or "").strip()
    if not label:
        raise ServiceError(_l("Please say what this price is for."), field="label")
    if icon not in ICONS:
        raise ServiceError(_l("Please choose a picture."), field="icon")
    if not cost_cents or cost_cents <= 0 or cost_cents > MAX_BUDGET_CENTS:
        raise ServiceError(_l("Please give an amount between 1 and 100,000 euros."), field="cost")
    item = PriceItem(class_id=klass.id, label=label[:80], icon=icon, cost_cents=cost_cents)
    db.session.add(item)
    db.session.flush()
    return item


def prices_of(klass: SchoolClass) -> list[PriceItem]:
    return list(db.session.scalars(select(PriceItem).where(PriceItem.class_id == klass.id)
                                   .order_by(PriceItem.cost_cents, PriceItem.id)))


def delete_price(actor, item: PriceItem) -> None:
    _require(actor, "class.manage", db.session.get(SchoolClass, item.class_id))
    db.session.delete(item)
    db.session.flush()


# --- Pupils' cards ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Card:
    """A card to print: its pupil and the sign-in code, shown this once (only its keyed hash is kept)."""

    pupil: Pupil
    code: str


def _new_code() -> tuple[str, str]:
    code = readable_code(CARD_CODE_LENGTH)
    return code, code_hash(code)


def _free_pseudonyms(klass: SchoolClass) -> list[tuple[str, str]]:
    taken = set(db.session.execute(select(Pupil.animal, Pupil.colour).where(Pupil.class_id == klass.id)).all())
    return [(a, c) for a in ANIMALS for c in COLOURS if (a, c) not in taken]


def make_cards(actor, klass: SchoolClass, count: int) -> list[Card]:
    """``count`` new cards for the class, each with a random pseudonym and sign-in code."""
    _require(actor, "class.manage", klass)
    if klass.erased_at is not None:
        raise ServiceError(_l("This class's school year is over."))
    existing = db.session.scalar(select(func.count()).select_from(Pupil).where(Pupil.class_id == klass.id,
                                                                               Pupil.revoked_at.is_(None)))
    if not isinstance(count, int) or count < 1 or existing + count > MAX_CARDS:
        raise ServiceError(_l("A class has at most %(max)d cards.", max=MAX_CARDS), field="count")
    free = _free_pseudonyms(klass)
    rng = secrets.SystemRandom()
    chosen = rng.sample(free, count)
    cards = []
    for animal, colour in chosen:
        code, hashed = _new_code()
        pupil = Pupil(class_id=klass.id, animal=animal, colour=colour, code_hash=hashed)
        pupil.school_class = klass
        db.session.add(pupil)
        cards.append(Card(pupil, code))
    db.session.flush()
    audit.record(actor, "school.cards_made", klass, count=count)
    return cards


def pupils_of(klass: SchoolClass) -> list[Pupil]:
    return list(db.session.scalars(select(Pupil).where(Pupil.class_id == klass.id).order_by(Pupil.id)))


def _own_card(actor, pupil: Pupil) -> None:
    _require(actor, "class.manage", pupil.school_class)
    if pupil.revoked_at is not None:
        raise ServiceError(_l("This card was cancelled."))


def reprint_card(actor, pupil: Pupil) -> Card:
    """A new sign-in code for the card (same pseudonym): the old code stops working."""
    _own_card(actor, pupil)
    code, pupil.code_hash = _new_code()
    db.session.flush()
    audit.record(actor, "school.card_reprinted", pupil.school_class, pupil=pupil.id)
    return Card(pupil, code)


def revoke_card(actor, pupil: Pupil) -> None:
    _own_card(actor, pupil)
    pupil.revoked_at = utcnow()
    db.session.flush()
    audit.record(actor, "school.card_revoked", pupil.school_class, pupil=pupil.id)


# --- Pupils signing in ------------------------------------------------------------------------------------------------

WRONG_CARD = _l("This class code and card code do not go together. Check both codes and try again.")


def sign_in(class_code: str, card_code: str) -> Pupil:
    """The pupil of a card of this class (not cancelled, school year not over). Raises ServiceError otherwise,
    with the same message whatever was wrong."""
    class_canonical = canonical_code(class_code, CLASS_CODE_LENGTH)
    card_canonical = canonical_code(card_code, CARD_CODE_LENGTH)
    if class_canonical is None or card_canonical is None:
        raise ServiceError(WRONG_CARD)
    pupil = db.session.scalar(select(Pupil).where(Pupil.code_hash == code_hash(card_canonical)))
    if (pupil is None or pupil.revoked_at is not None or pupil.school_class.code != class_canonical
            or pupil.school_class.erased_at is not None):
        raise ServiceError(WRONG_CARD)
    return pupil


def current_pupil(pupil_id, code_hash_value) -> Pupil | None:
    """The pupil a session holds, if the card still works (not cancelled, not reprinted, year not over)."""
    if not isinstance(pupil_id, int) or not isinstance(code_hash_value, str):
        return None
    pupil = db.session.get(Pupil, pupil_id)
    if (pupil is None or pupil.revoked_at is not None or pupil.code_hash[:SESSION_HASH] != code_hash_value
            or pupil.school_class.erased_at is not None):
        return None
    return pupil


# --- Ideas and comments -----------------------------------------------------------------------------------------------

def _pupil_phase(pupil: Pupil, allowed: tuple, message) -> Cycle:
    cycle = pupil.school_class.cycle
    if cycle is None or phase_of(cycle) not in allowed:
        raise NotAllowed(message)
    return cycle


def _idea_values(pupil: Pupil, title: str, why: str, price: PriceItem | None) -> tuple[str, str]:
    """An idea's name and reason, checked (``price`` must be on the pupil's class's price list)."""
    title, why = (title or "").strip(), (why or "").strip()
    if not title:
        raise ServiceError(_l("Give your idea a name."), field="title")
    if not why:
        raise ServiceError(_l("Say why it is a good idea."), field="why")
    if price is None or price.class_id != pupil.class_id:
        raise ServiceError(_l("Choose how much it costs."), field="price")
    return title[:150], why[:2000]


def _write_idea(idea: PupilIdea, title: str, why: str, price: PriceItem, image=None) -> None:
    from app.proposals.services import _refresh_derived  # the same derived fields as every proposal

    proposal = idea.proposal
    proposal.title, proposal.body, proposal.estimated_cost_cents = title, why, price.cost_cents
    idea.price_item = price
    _refresh_derived(proposal)
    if image is not None and getattr(image, "filename", ""):  # a new drawing replaces the old one
        proposal.images.clear()
        proposal.images.append(ProposalImage(**process_upload(image.stream, alt=title[:200])))


def propose(pupil: Pupil, title: str, why: str, price: PriceItem | None, image=None) -> PupilIdea:
    """A pupil's idea, waiting for the teacher. ``image``: an uploaded file (optional), re-encoded."""
    cycle = _pupil_phase(pupil, (PhaseKind.SUBMISSION,), _l("It is not the time for new ideas."))
    title, why = _idea_values(pupil, title, why, price)
    proposal = Proposal(cycle=cycle, author=None, status=ProposalStatus.SUBMITTED, channel="school",
                        submitted_at=utcnow())
    db.session.add(proposal)
    idea = PupilIdea(proposal=proposal, class_id=pupil.class_id, pupil_id=pupil.id)
    _write_idea(idea, title, why, price, image)
    db.session.add(idea)
    db.session.flush()
    return idea


def _own_idea(pupil: Pupil, idea: PupilIdea, phases: tuple, message) -> None:
    if idea.pupil_id != pupil.id:
        raise NotAllowed(_l("This is not your idea."))
    _pupil_phase(pupil, phases, message)
    if idea.proposal.cycle.ballot_frozen_at is not None:
        raise NotAllowed(message)


def _check_change(pupil: Pupil, idea: PupilIdea) -> None:
    _own_idea(pupil, idea, (PhaseKind.SUBMISSION,), _l("It is not the time to change ideas."))
    if idea.state == Moderation.APPROVED:
        raise ServiceError(_l("Your teacher has already accepted this idea: it can no longer change."))


def _check_withdraw(pupil: Pupil, idea: PupilIdea) -> None:
    _own_idea(pupil, idea, (PhaseKind.SUBMISSION, PhaseKind.REVIEW),
              _l("The vote has started: ideas can no longer change."))


def _passes(check, *args) -> bool:
    try:
        check(*args)
    except ServiceError:
        return False
    return True


def can_change_idea(pupil: Pupil, idea: PupilIdea) -> bool:
    return _passes(_check_change, pupil, idea)


def can_withdraw_idea(pupil: Pupil, idea: PupilIdea) -> bool:
    return _passes(_check_withdraw, pupil, idea)


def change_idea(pupil: Pupil, idea: PupilIdea, title: str, why: str, price: PriceItem | None,
                image=None) -> None:
    """The author changes their idea while the teacher has not approved it, during the ideas step: a waiting idea
    stays waiting; a refused one is sent to the teacher again. An approved idea no longer changes (classmates may
    have discussed it)."""
    _check_change(pupil, idea)
    title, why = _idea_values(pupil, title, why, price)
    _write_idea(idea, title, why, price, image)
    idea.state = Moderation.WAITING
    idea.proposal.status = ProposalStatus.SUBMITTED
    db.session.flush()


def withdraw_idea(pupil: Pupil, idea: PupilIdea) -> None:
    """The author takes their idea back, whatever the teacher decided, until the vote starts: it is erased, with
    its drawing and the comments on it."""
    _check_withdraw(pupil, idea)
    _erase_ideas(select(PupilIdea.id).where(PupilIdea.id == idea.id))
    db.session.expire_all()


def _erase_ideas(idea_ids) -> None:
    """Erase ideas (``idea_ids``: a select of their ids) with their proposals, drawings and comments."""
    db.session.execute(delete(PupilComment).where(PupilComment.idea_id.in_(idea_ids)))
    proposal_ids = list(db.session.scalars(select(PupilIdea.proposal_id).where(PupilIdea.id.in_(idea_ids))))
    if proposal_ids:
        db.session.execute(delete(ProposalImage).where(ProposalImage.proposal_id.in_(proposal_ids)))
        db.session.execute(delete(PupilIdea).where(PupilIdea.proposal_id.in_(proposal_ids)))
        db.session.execute(delete(Proposal).where(Proposal.id.in_(proposal_ids)))


def ideas_of(cycle: Cycle | None, states=(Moderation.APPROVED,)) -> list[PupilIdea]:
    if cycle is None:
        return []
    return list(db.session.scalars(select(PupilIdea).join(Proposal, Proposal.id == PupilIdea.proposal_id)
                                   .where(Proposal.cycle_id == cycle.id, PupilIdea.state.in_(states))
                                   .order_by(PupilIdea.id)))


def approved_ideas(cycle: Cycle) -> list[PupilIdea]:
    return ideas_of(cycle)


def my_ideas(pupil: Pupil) -> list[PupilIdea]:
    """The pupil's ideas classmates do not see: waiting for the teacher, or not kept."""
    return list(db.session.scalars(select(PupilIdea).where(PupilIdea.pupil_id == pupil.id,
                                                           PupilIdea.state != Moderation.APPROVED)
                                   .order_by(PupilIdea.id)))


def comment(pupil: Pupil, idea: PupilIdea, stance, body: str) -> PupilComment:
    _pupil_phase(pupil, (PhaseKind.SUBMISSION, PhaseKind.REVIEW), _l("It is not the time for comments."))
    if idea.state != Moderation.APPROVED or idea.proposal.cycle_id != pupil.school_class.cycle_id:
        raise NotAllowed(_l("You cannot comment on this idea."))
    try:
        stance = Stance(stance)
    except ValueError:
        raise ServiceError(_l("Say if you are for or against."), field="stance")
    body = (body or "").strip()
    if not body:
        raise ServiceError(_l("Write what you think."), field="body")
    note = PupilComment(idea=idea, pupil_id=pupil.id, stance=stance, body=body[:1000],
                        body_html=render_markdown(body[:1000]))
    db.session.add(note)
    db.session.flush()
    return note


def comments_of(idea: PupilIdea, pupil: Pupil | None = None) -> list[PupilComment]:
    """Approved comments, and the pupil's own ones still waiting."""
    condition = PupilComment.state == Moderation.APPROVED
    if pupil is not None:
        condition = condition | ((PupilComment.pupil_id == pupil.id) & (PupilComment.state == Moderation.WAITING))
    return list(db.session.scalars(select(PupilComment).where(PupilComment.idea_id == idea.id, condition)
                                   .order_by(PupilComment.id)))


def waiting(klass: SchoolClass) -> tuple[list[PupilIdea], list[PupilComment]]:
    """What the teacher has to look at: the class's ideas and comments waiting for approval."""
    ideas = list(db.session.scalars(select(PupilIdea).where(PupilIdea.class_id == klass.id,
                                                            PupilIdea.state == Moderation.WAITING)
                                    .order_by(PupilIdea.id)))
    notes = list(db.session.scalars(select(PupilComment).join(Pupil, Pupil.id == PupilComment.pupil_id)
                                    .where(Pupil.class_id == klass.id, PupilComment.state == Moderation.WAITING)
                                    .order_by(PupilComment.id)))
    return ideas, notes


def decided(klass: SchoolClass) -> tuple[list[PupilIdea], list[PupilComment]]:
    """The class's ideas and comments the teacher has already approved or refused (a decision can change)."""
    ideas = list(db.session.scalars(select(PupilIdea).where(PupilIdea.class_id == klass.id,
                                                            PupilIdea.state != Moderation.WAITING)
                                    .order_by(PupilIdea.id)))
    notes = list(db.session.scalars(select(PupilComment).join(Pupil, Pupil.id == PupilComment.pupil_id)
                                    .where(Pupil.class_id == klass.id, PupilComment.state != Moderation.WAITING)
                                    .order_by(PupilComment.id)))
    return ideas, notes


def _decide(target: PupilIdea | PupilComment, approve: bool, already: dict) -> bool:
    """The teacher's decision on an idea or a comment; True when it changes an earlier decision. ``already`` holds
    the message for a decision already taken, by ``approve``."""
    state = Moderation.APPROVED if approve else Moderation.REFUSED
    if target.state == state:
        raise ServiceError(already[approve])
    changed = target.state != Moderation.WAITING
    target.state = state
    return changed


def moderate_idea(actor, idea: PupilIdea, approve: bool) -> None:
    """Approve an idea (classmates see it; it goes on the ballot at the price picked) or refuse it. The teacher may
    change their mind until the vote starts: an approved idea refused later leaves the class's list."""
    _require(actor, "class.manage", idea.school_class)
    if idea.proposal.cycle.ballot_frozen_at is not None:
        raise ServiceError(_l("The vote has started: ideas can no longer change."))
    changed = _decide(idea, approve, {True: _l("This idea is already approved."),
                                      False: _l("This idea is already refused.")})
    idea.proposal.status = ProposalStatus.FEASIBLE if approve else ProposalStatus.NOT_FEASIBLE
    if approve:
        idea.proposal.city_cost_cents = idea.proposal.estimated_cost_cents
    db.session.flush()
    audit.record(actor, "school.idea_moderated", idea.proposal, approved=approve, changed=changed)


def moderate_comment(actor, note: PupilComment, approve: bool) -> None:
    """Approve a comment (classmates see it) or refuse it; the teacher may change their mind at any time (hide a
    comment approved too fast)."""
    _require(actor, "class.manage", note.idea.school_class if note.pupil is None else note.pupil.school_class)
    changed = _decide(note, approve, {True: _l("This comment is already approved."),
                                      False: _l("This comment is already refused.")})
    db.session.flush()
    audit.record(actor, "school.comment_moderated", note.idea.proposal, approved=approve, changed=changed)


# --- Voting and results -----------------------------------------------------------------------------------------------

def pupil_voter(pupil: Pupil) -> Voter:
    return Voter(key=pupil.learner_key, district_id=None)


def has_voted(pupil: Pupil) -> bool:
    cycle = pupil.school_class.cycle
    return cycle is not None and db.session.scalar(select(Participation.id).where(
        Participation.cycle_id == cycle.id, Participation.voter_key == pupil.learner_key)) is not None


def vote(pupil: Pupil, choices: list) -> None:
    """The pupil's ballot, through the city's participation register (one per pupil) and anonymous ballots."""
    from app.voting.services import cast

    cycle = pupil.school_class.cycle
    if cycle is None:
        raise NotAllowed(_l("Your class has no vote."))
    cast(None, cycle, {None: choices}, channel=VoteChannel.CODE, voter=pupil_voter(pupil))


def ballot_items(cycle: Cycle) -> list:
    from app.proposals.models import BallotItem

    return list(db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)
                                   .order_by(BallotItem.title)))


@dataclass
class IdeaResult:
    title: str
    cost_cents: int
    votes: int
    selected: bool
    reasons: list[str]
    idea: PupilIdea | None


def reasons(details: dict, votes: int, ballot_kind: str) -> list[str]:
    """Why an idea won or lost, in words for children: the class counts "most votes first" (greedy), whose
    explanation is said simply here; any other case falls back to the engine's explanation."""
    from flask_babel import gettext

    from app.results.explain import money, sentences, votes_text

    kind = (details or {}).get("kind", "")
    values = {"rank": (details or {}).get("rank", 0), "votes": votes_text(votes, ballot_kind),
              "cost": money(details.get("cost")) if details else "", "left": money(details.get("money_left"))
              if details else ""}
    if kind == "greedy-funded":
        return [gettext("In the line of ideas, from the most votes to the fewest, it was number %(rank)s, with "
                        "%(votes)s. It costs %(cost)s and there was still %(left)s in the money box: it is chosen!",
                        **values)]
    if kind == "greedy-skipped":
        return [gettext("In the line of ideas, from the most votes to the fewest, it was number %(rank)s, with "
                        "%(votes)s. It costs %(cost)s, but only %(left)s was left in the money box when its turn "
                        "came: not enough money.", **values)]
    if kind == "over-budget":
        return [gettext("It costs %(cost)s: more than all the money of the class.", cost=values["cost"])]
    return sentences(details, votes, ballot_kind)


def results(cycle: Cycle | None) -> tuple[object, list[IdeaResult]]:
    """The published count of the budget and, for each idea, why it won or lost (in the reader's language)."""
    from app.results.services import published_run

    run = published_run(cycle) if cycle is not None else None
    if run is None:
        return None, []
    by_proposal = {idea.proposal_id: idea for idea in ideas_of(cycle)}
    rows = []
    for envelope in run.envelopes:
        for project in sorted(envelope.projects, key=lambda p: p.position):
            rows.append(IdeaResult(project.item.title, project.cost_cents, project.votes, project.selected,
                                   reasons(project.details, project.votes, run.ballot_kind),
                                   by_proposal.get(project.item.proposal_id)))
    return run, rows


# --- Participation and the end of the year ----------------------------------------------------------------------------

def participation(klass: SchoolClass) -> dict:
    """How many pupils proposed, commented and voted, of how many cards (anonymous counts)."""
    if klass.erased_at is not None:  # the counts kept at the erasure (the lessons' totals are kept beside them)
        return {key: value for key, value in (klass.totals or {}).items() if key != "lessons"}
    pupils = select(Pupil.id).where(Pupil.class_id == klass.id)
    cards = db.session.scalar(select(func.count()).select_from(Pupil).where(Pupil.class_id == klass.id,
                                                                            Pupil.revoked_at.is_(None)))
    proposed = db.session.scalar(select(func.count(func.distinct(PupilIdea.pupil_id)))
                                 .where(PupilIdea.pupil_id.in_(pupils)))
    commented = db.session.scalar(select(func.count(func.distinct(PupilComment.pupil_id)))
                                  .where(PupilComment.pupil_id.in_(pupils)))
    voted = 0
    if klass.cycle_id is not None:
        keys = [f"pupil:{pid}" for pid in db.session.scalars(pupils)]
        voted = db.session.scalar(select(func.count()).select_from(Participation).where(
            Participation.cycle_id == klass.cycle_id, Participation.voter_key.in_(keys))) if keys else 0
    return {"cards": cards, "proposed": proposed, "commented": commented, "voted": voted}


def _erase(klass: SchoolClass) -> int:
    """Erase the pupils' data of a class: cards, comments, ideas that did not reach the ballot, the register rows;
    keep the anonymous totals and the results (the ballot's ideas, the count, the anonymous ballots)."""
    from app.lessons import services as lessons

    pupil_ids = list(db.session.scalars(select(Pupil.id).where(Pupil.class_id == klass.id)))
    keys = [f"pupil:{pid}" for pid in pupil_ids]
    klass.totals = {**(klass.totals or {}), **participation(klass),
                    "lessons": _lesson_totals(keys)}
    lessons.erase(keys)
    erased = len(pupil_ids)
    if keys and klass.cycle_id is not None:
        db.session.execute(delete(Participation).where(Participation.cycle_id == klass.cycle_id,
                                                       Participation.voter_key.in_(keys)))
    idea_ids = select(PupilIdea.id).where(PupilIdea.class_id == klass.id)
    db.session.execute(delete(PupilComment).where(PupilComment.idea_id.in_(idea_ids)))
    if pupil_ids:
        db.session.execute(delete(PupilComment).where(PupilComment.pupil_id.in_(pupil_ids)))
    _erase_ideas(idea_ids.where(PupilIdea.state != Moderation.APPROVED))
    db.session.execute(delete(ProposalImage).where(ProposalImage.proposal_id.in_(
        select(PupilIdea.proposal_id).where(PupilIdea.class_id == klass.id))))
    db.session.execute(delete(Pupil).where(Pupil.class_id == klass.id))
    klass.erased_at = utcnow()
    db.session.flush()
    db.session.expire_all()
    return erased


def erase_pupils(actor, klass: SchoolClass) -> int:
    """The teacher's button: erase the class's pupil data now (cards stop working)."""
    _require(actor, "class.manage", klass)
    if klass.erased_at is not None:
        raise ServiceError(_l("The pupils' data of this class are already erased."))
    count = _erase(klass)
    audit.record(actor, "school.pupils_erased", klass, cards=count)
    return count


def purge_finished_years(now: datetime) -> int:
    """For ``flask pb purge``: erase the pupils' data of every class whose school year has ended."""
    today = as_utc(now).date()
    classes = list(db.session.scalars(select(SchoolClass).where(SchoolClass.erased_at.is_(None),
                                                                SchoolClass.year_ends_on < today)))
    return sum(_erase(klass) for klass in classes)


# --- Link to the city -------------------------------------------------------------------------------------------------

def city_cycles_open() -> list[Cycle]:
    from app.cycles.services import cycle_allows, open_cycles

    return [cycle for cycle in open_cycles() if cycle_allows(cycle, "submit_proposal")]


def submit_to_city(actor, idea: PupilIdea, city_cycle: Cycle) -> Proposal:
    """The teacher sends a winning idea of the class to the city's budget as a proposal, marked as coming from
    the class; the teacher follows it (notifications), the class sees its status on the results page."""
    from flask_babel import gettext

    from app.proposals.services import follow, save_proposal

    klass = idea.school_class
    _require(actor, "class.manage", klass)
    if city_cycle.is_school:
        raise NotAllowed(_l("Choose a budget of the city."))
    _run, rows = results(idea.proposal.cycle)
    if not any(row.selected and row.idea is not None and row.idea.id == idea.id for row in rows):
        raise ServiceError(_l("Only an idea the class chose can go to the city."))
    if idea.city_proposal_id is not None:
        raise ServiceError(_l("This idea was already sent to the city."))
    origin = gettext("Proposed by the class %(name)s of %(school)s (%(year)s).", name=klass.name,
                     school=klass.school.name, year=klass.school_year)
    proposal = save_proposal(actor, city_cycle, {"title": idea.proposal.title,
                                                 "body": f"{idea.proposal.body}\n\n*{origin}*",
                                                 "district": klass.school.district,
                                                 "estimated_cost_cents": idea.proposal.city_cost_cents},
                             submit=True, channel="school")
    follow(actor, proposal)
    idea.city_proposal_id = proposal.id
    db.session.flush()
    return proposal


def sent_to_city(klass: SchoolClass) -> list[PupilIdea]:
    return list(db.session.scalars(select(PupilIdea).where(PupilIdea.class_id == klass.id,
                                                           PupilIdea.city_proposal_id.is_not(None))))


purge.register("pupils", "Pupils' data erased", lambda now: purge_finished_years(now))
