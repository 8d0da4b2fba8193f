"""Who may do what in schools (adults only; pupils act through their card, see ``pupil_can``).

Officials create, rename and delete schools and make people teachers of a school; a school's coordinator (a
teacher flagged so) may also make people teachers of their school, take them off it and hand a class over from one
teacher to another. A teacher of a school creates classes there, and manages only the classes they created or
were handed: a teacher sees no other teacher's class, and no official sees a class either (the children's pages
are the class's business; the school's page shows class names only). Nobody else (residents, moderators,
agents) sees anything of schools.
"""

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db


def _membership(user, school):
    from app.schools.models import SchoolTeacher

    return db.session.scalar(select(SchoolTeacher).where(SchoolTeacher.school_id == school.id,
                                                         SchoolTeacher.user_id == user.id))


def can(user, action: str, obj=None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if action == "school.list":  # the schools' home page
        return user.role in (Role.OFFICIAL, Role.TEACHER)
    if action in ("school.create", "school.edit", "school.delete"):  # obj: School (edit, delete)
        return user.role == Role.OFFICIAL
    if action == "school.teachers":  # obj: School
        if user.role == Role.OFFICIAL:
            return True
        membership = _membership(user, obj) if user.role == Role.TEACHER else None
        return membership is not None and membership.coordinator
    if action == "class.create":  # obj: School
        return user.role == Role.TEACHER and _membership(user, obj) is not None
    if action == "class.manage":  # obj: SchoolClass
        return (user.role == Role.TEACHER and obj.teacher_id == user.id
                and _membership(user, obj.school) is not None)
    raise KeyError(action)


def pupil_can(pupil, action: str, obj=None) -> bool:
    """What a signed-in pupil may see: only what belongs to their class's budget (``obj``: a PupilIdea or a
    comment's idea); an idea waiting for the teacher is seen by its author only, who alone may change it."""
    if pupil is None:
        return False
    if action == "idea.view":
        from app.schools.models import Moderation

        same_budget = obj.proposal.cycle_id == pupil.school_class.cycle_id and obj.school_class.school_id == \
            pupil.school_class.school_id
        return same_budget and (obj.state == Moderation.APPROVED or obj.pupil_id == pupil.id)
    if action == "idea.change":  # change or take back: the author only (the service checks the step)
        return obj.pupil_id == pupil.id
    raise KeyError(action)
