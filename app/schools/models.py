"""Schools: schools and their teachers, classes, the teacher's price list, pupils' cards, ideas and comments.

No personal data about children: a pupil is a card (a random pseudonym and the keyed hash of its sign-in code),
nothing else. A pupil's idea is a proposal of the class's budget cycle (``Cycle.school_id`` set), so that voting
and counting run on the city's engine; ``PupilIdea`` links it to the card and the price list.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, str_enum


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    district = relationship("District", lazy="joined")
    teachers: Mapped[list["SchoolTeacher"]] = relationship(back_populates="school", cascade="all, delete-orphan")


class SchoolTeacher(Base):
    """A teacher of a school; a coordinator may also make other people teachers of that school."""

    __tablename__ = "school_teacher"
    __table_args__ = (UniqueConstraint("school_id", "user_id", name="uq_school_teacher_school_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    coordinator: Mapped[bool] = mapped_column(default=False)

    school: Mapped[School] = relationship(back_populates="teachers")
    user = relationship("User", lazy="joined")


class SchoolClass(Base):
    __tablename__ = "school_class"
    __table_args__ = (
        CheckConstraint("grade_level BETWEEN 1 AND 12", name="grade_level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    grade_level: Mapped[int]  # 1 = CP ... 5 = CM2, 6 = 6e ... 9 = 3e, 10-12 = lycée
    school_year: Mapped[str] = mapped_column(String(9))  # "2026-2027"
    year_ends_on: Mapped[date] = mapped_column(Date)
    # The class code pupils type with their card (not secret on its own: the card's code is).
    code: Mapped[str] = mapped_column(String(12), unique=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id", ondelete="SET NULL"), index=True)
    # Set when the pupils' data were erased; ``totals`` keeps the anonymous counts of the year.
    erased_at: Mapped[datetime | None]
    totals: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[School] = relationship(lazy="joined")
    teacher = relationship("User")
    cycle = relationship("Cycle")


class PriceItem(Base):
    """One line of the simple price list a teacher sets up: what pupils pick as the cost of their idea."""

    __tablename__ = "price_item"
    __table_args__ = (CheckConstraint("cost_cents > 0", name="cost_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    icon: Mapped[str] = mapped_column(String(20), default="star")  # a key of app.schools.services.ICONS
    cost_cents: Mapped[int] = mapped_column(BigInteger)


class Pupil(Base):
    """A pupil's card: a pseudonym (keys of an animal and a colour, translated when shown) and the keyed hash of its
    sign-in code. No name, email or birth date."""

    __tablename__ = "pupil"
    __table_args__ = (UniqueConstraint("class_id", "animal", "colour", name="uq_pupil_class_pseudonym"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"), index=True)
    animal: Mapped[str] = mapped_column(String(20))
    colour: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    school_class: Mapped[SchoolClass] = relationship(lazy="joined")

    @property
    def learner_key(self) -> str:
        return f"pupil:{self.id}"

    @property
    def pseudonym(self) -> str:
        from app.schools.services import pseudonym

        return pseudonym(self.animal, self.colour)


class Moderation(enum.StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    REFUSED = "refused"


class PupilIdea(Base):
    """A pupil's idea: the proposal it is in the class's cycle, with who proposed it and the price picked."""

    __tablename__ = "pupil_idea"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), unique=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id", ondelete="SET NULL"), index=True)
    price_item_id: Mapped[int | None] = mapped_column(ForeignKey("price_item.id", ondelete="SET NULL"))
    state: Mapped[Moderation] = mapped_column(str_enum(Moderation, "moderation"), default=Moderation.WAITING)
    # The class's winning idea sent to the city: the city's proposal, followed by the class.
    city_proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))

    proposal = relationship("Proposal", foreign_keys=[proposal_id], lazy="joined")
    city_proposal = relationship("Proposal", foreign_keys=[city_proposal_id])
    school_class: Mapped[SchoolClass] = relationship()
    pupil: Mapped[Pupil | None] = relationship()
    price_item: Mapped[PriceItem | None] = relationship(lazy="joined")


class Stance(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"


class PupilComment(Base):
    __tablename__ = "pupil_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("pupil_idea.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id", ondelete="SET NULL"), index=True)
    stance: Mapped[Stance] = mapped_column(str_enum(Stance, "pupil_stance", length=10))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    state: Mapped[Moderation] = mapped_column(str_enum(Moderation, "pupil_comment_moderation"),
                                              default=Moderation.WAITING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    idea: Mapped[PupilIdea] = relationship()
    pupil: Mapped[Pupil | None] = relationship()
