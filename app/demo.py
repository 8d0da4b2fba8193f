"""The demo city: a Lille-like metropolis with its districts, themes and one account per role.

``load_demo`` is idempotent: rows are looked up by a natural key and created only when missing.
"""

from sqlalchemy import select

from app.accounts.models import Role, User
from app.accounts.services import hash_password
from app.core.clock import utcnow
from app.cycles.models import Category, District
from app.extensions import db

DISTRICTS = [
    ("bois-blancs", "Bois-Blancs"),
    ("centre", "Centre"),
    ("faubourg-de-bethune", "Faubourg de Béthune"),
    ("fives", "Fives"),
    ("hellemmes", "Hellemmes"),
    ("lille-moulins", "Lille-Moulins"),
    ("lille-sud", "Lille-Sud"),
    ("lomme", "Lomme"),
    ("saint-maurice-pellevoisin", "Saint-Maurice Pellevoisin"),
    ("vauban-esquermes", "Vauban-Esquermes"),
    ("vieux-lille", "Vieux-Lille"),
    ("wazemmes", "Wazemmes"),
]

CATEGORIES = [
    # slug, fr, en, nl, icon, colour
    ("mobilite", "Mobilité et vélo", "Mobility and cycling", "Mobiliteit en fiets", "🚲", "#1d4ed8"),
    ("nature", "Nature en ville", "Nature in the city", "Natuur in de stad", "🌳", "#15803d"),
    ("cadre-de-vie", "Cadre de vie et propreté", "Living environment", "Leefomgeving", "🏘", "#b45309"),
    ("culture", "Culture et patrimoine", "Culture and heritage", "Cultuur en erfgoed", "🎭", "#7e22ce"),
    ("sport", "Sport et loisirs", "Sport and leisure", "Sport en vrije tijd", "⚽", "#be123c"),
    ("solidarite", "Solidarité", "Solidarity", "Solidariteit", "🤝", "#0f766e"),
    ("jeunesse", "Enfance et jeunesse", "Children and youth", "Kinderen en jeugd", "🧒", "#c2410c"),
]

ACCOUNTS = [
    # role, email, password, display name, district slug
    (Role.RESIDENT, "habitante@demo.budget-commun.fr", "demo-habitante-2026", "Camille D.", "wazemmes"),
    (Role.MODERATOR, "moderation@demo.budget-commun.fr", "demo-moderation-2026", "Karim (modération)", None),
    (Role.OFFICIAL, "mairie@demo.budget-commun.fr", "demo-mairie-2026", "Service démocratie participative",
     None),
    (Role.AGENT, "accueil@demo.budget-commun.fr", "demo-accueil-2026", "Sophie (Lille Accueil)", None),
    (Role.TEACHER, "enseignant@demo.budget-commun.fr", "demo-enseignant-2026", "M. Lefebvre", "fives"),
]


def _get_or_create(model, key: dict, **values):
    row = db.session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key, **values)
        db.session.add(row)
        db.session.flush()
    return row


def load_demo() -> list[tuple[str, str, str]]:
    districts = {slug: _get_or_create(District, {"slug": slug}, name=name) for slug, name in DISTRICTS}
    for slug, fr, en, nl, icon, colour in CATEGORIES:
        _get_or_create(Category, {"slug": slug}, name_fr=fr, name_en=en, name_nl=nl, icon=icon, colour=colour)
    for role, email, password, name, district in ACCOUNTS:
        _get_or_create(
            User, {"email": email}, password_hash=hash_password(password), display_name=name, role=role,
            locale="fr", district=districts.get(district), email_confirmed_at=utcnow(),
        )
    db.session.commit()
    return [(role.value, email, password) for role, email, password, _name, _district in ACCOUNTS]
