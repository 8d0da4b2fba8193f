"""Demo data for schools: a school of Fives with two classes of the demo teacher (idempotent: found by name).

CM1 B is in its ideas phase with ideas and comments waiting for the teacher; CM2 A has finished its vote and shows
its results. The cards' codes are never stored: ``issue_demo_card`` prints a card of CM1 B again on each demo run
(the previous code of that card stops working), so that the demo console can show one to try.
"""

from sqlalchemy import select

from app.accounts.models import Role, User
from app.cycles.models import District
from app.extensions import db
from app.schools import services
from app.schools.models import Pupil, School, SchoolClass

SCHOOL = "École élémentaire Louis-Pasteur"
TEACHER_EMAIL = "enseignant@demo.budget-commun.fr"
OFFICIAL_EMAIL = "mairie@demo.budget-commun.fr"
PRICES = [("Un banc", "bench", 40_000), ("Un arbre et sa grille", "tree", 60_000),
          ("Des livres pour la BCD", "book", 15_000), ("Des jeux de cour", "game", 25_000),
          ("Un panier de basket", "ball", 80_000)]
IDEAS = [  # class, card number, title, why, price number, approved
    ("CM2 A", 0, "Des bancs à l'ombre", "Pour se reposer quand il fait chaud.", 0, True),
    ("CM2 A", 1, "Planter un tilleul", "Il fera de l'ombre et les oiseaux viendront.", 1, True),
    ("CM2 A", 2, "Des livres de mangas", "Tout le monde aime lire des mangas à la BCD.", 2, True),
    ("CM2 A", 3, "Un panier de basket", "On pourrait jouer pendant la récréation.", 4, True),
    ("CM1 B", 0, "Des jeux de cour peints au sol", "Une marelle et un labyrinthe pour jouer ensemble.", 3, True),
    ("CM1 B", 1, "Une cabane à livres", "Pour échanger des livres avec les autres classes.", 2, True),
    ("CM1 B", 2, "Un hôtel à insectes", "Pour observer les abeilles en sciences.", 1, False),
]
COMMENTS = [  # card number, idea title, stance, text
    (3, "Des jeux de cour peints au sol", "for", "Oui ! Les petits pourront jouer aussi."),
    (4, "Des jeux de cour peints au sol", "against", "Il y a déjà beaucoup de lignes de foot."),
    (5, "Une cabane à livres", "for", "Et on pourrait la décorer en arts plastiques."),
]
VOTES = [[0, 1], [0], [1, 2], [0, 3], [1], [0, 1], [2], [0, 2]]  # CM2 A: ideas chosen by each card


def load_schools_demo() -> None:
    teacher = db.session.scalar(select(User).where(User.email == TEACHER_EMAIL))
    official = db.session.scalar(select(User).where(User.email == OFFICIAL_EMAIL))
    if teacher is None or official is None or db.session.scalar(select(School).where(School.name == SCHOOL)):
        return
    school = services.create_school(official, SCHOOL, db.session.scalar(select(District).where(
        District.slug == "fives")))
    services.grant_teacher(official, school, TEACHER_EMAIL, coordinator=True)
    teacher.role = Role.TEACHER
    classes = {}
    for name, level, kind, count in (("CM2 A", 5, "approval", 10), ("CM1 B", 4, "approval", 8)):
        klass = services.create_class(teacher, school, name, level, "2026-2027")
        services.create_budget(teacher, klass, "Notre cour de récréation", 200_000, kind)
        for label, icon, cost in PRICES:
            services.add_price(teacher, klass, label, icon, cost)
        cards = services.make_cards(teacher, klass, count)
        classes[name] = (klass, [card.pupil for card in cards])
    ideas = {}
    for class_name, card, title, why, price, approved in IDEAS:
        klass, pupils = classes[class_name]
        idea = services.propose(pupils[card], title, why, services.prices_of(klass)[price])
        if approved:
            services.moderate_idea(teacher, idea, True)
        ideas[title] = idea
    klass, pupils = classes["CM1 B"]
    for card, title, stance, text in COMMENTS:
        services.comment(pupils[card], ideas[title], stance, text)
    klass, pupils = classes["CM2 A"]
    services.move_phase(teacher, klass)  # discussion
    services.move_phase(teacher, klass)  # vote
    items = services.ballot_items(klass.cycle)
    by_title = {item.title: item.id for item in items}
    titles = [title for class_name, _card, title, *_rest in IDEAS if class_name == "CM2 A"]
    for card, chosen in enumerate(VOTES):
        services.vote(pupils[card], [by_title[titles[index]] for index in chosen])
    services.move_phase(teacher, klass)  # results: counted and published
    _demo_lessons(pupils)
    db.session.flush()


def _demo_lessons(pupils) -> None:
    """Lesson progress of CM2 A: most pupils did the first quiz, fewer the next ones; a few wrong answers."""
    from app.lessons.content import LESSONS
    from app.lessons.services import record_answers

    for lesson, done in zip(LESSONS[:3], (8, 5, 2), strict=True):
        for index, pupil in enumerate(pupils[:done]):
            answers = {question.key: question.answer for question in lesson.questions}
            if index % 3 == 2:  # one pupil in three misses the first question
                first = lesson.questions[0]
                answers[first.key] = next(choice.key for choice in first.choices if choice.key != first.answer)
            record_answers(pupil.learner_key, lesson.slug, answers)


def issue_demo_card() -> tuple[str, str, str] | None:
    """A card of CM1 B printed again: (class code, card code, pseudonym), or None without the demo school."""
    klass = db.session.scalar(select(SchoolClass).join(School).where(School.name == SCHOOL,
                                                                      SchoolClass.name == "CM1 B"))
    if klass is None or klass.erased_at is not None:
        return None
    pupil = db.session.scalar(select(Pupil).where(Pupil.class_id == klass.id, Pupil.revoked_at.is_(None))
                              .order_by(Pupil.id))
    card = services.reprint_card(klass.teacher, pupil)
    return klass.code, card.code, card.pupil.animal + "/" + card.pupil.colour


