"""The demo city: a Lille-like metropolis with its districts, themes and one account per role.

``load_demo`` is idempotent: rows are looked up by a natural key and created only when missing.
"""

import random
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role, User
from app.accounts.services import hash_password
from app.callcenter.demo import load_callcenter_demo
from app.core.clock import utcnow
from app.core.rendering import render_markdown
from app.cycles.models import Category, Cycle, District, Envelope, Phase, PhaseKind
from app.demo_proposals import MERGES, NOT_FEASIBLE_REASONS, PAST_PROPOSALS, SUBMISSION_PROPOSALS, VOTING_PROPOSALS
from app.extensions import db
from app.proposals.models import (
    BallotItem,
    Coauthor,
    Proposal,
    ProposalStatus,
    ReasonTemplate,
    StatusChange,
    Support,
)
from app.proposals.search import normalise
from app.results.demo import load_results_demo
from app.schools.demo import load_schools_demo
from app.tracking.models import ProjectStatus, ProjectTracking, TrackingUpdate
from app.voting.demo import load_voting_demo

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
    db.session.flush()
    load_cycles(districts)
    load_voting_demo()
    load_callcenter_demo()
    load_results_demo()
    load_schools_demo()
    db.session.commit()
    return [(role.value, email, password) for role, email, password, _name, _district in ACCOUNTS]


DEMO_CODE_DISTRICT = "wazemmes"
DEMO_CODE_PREFIX = "Démo n°"


def issue_demo_codes(count: int = 5) -> tuple[Cycle | None, list[str]]:
    """A few fresh voting codes for the demo cycle open for voting (Wazemmes), to print on the console.

    Codes are kept only as keyed hashes, so earlier ones cannot be shown again: each run voids the demo batches
    still valid and generates a new one, so that exactly one demo batch works at a time. Flushes; the caller
    commits. Returns (None, []) when the demo cycle is not open for voting."""
    from app.core.errors import ServiceError
    from app.cycles.services import phase_of
    from app.voting import codes
    from app.voting.demo import DEMO_CYCLE
    from app.voting.models import CodeBatch

    cycle = db.session.scalar(select(Cycle).where(Cycle.slug == DEMO_CYCLE))
    official = db.session.scalar(select(User).where(User.role == Role.OFFICIAL).order_by(User.id))
    district = db.session.scalar(select(District).where(District.slug == DEMO_CODE_DISTRICT))
    if cycle is None or official is None or phase_of(cycle) != PhaseKind.VOTING:
        return None, []
    earlier = db.session.scalars(select(CodeBatch).where(CodeBatch.cycle_id == cycle.id,
                                                         CodeBatch.label.startswith(DEMO_CODE_PREFIX))).all()
    for batch in earlier:
        if batch.voided_at is None:
            codes.void_batch(official, batch)
    try:
        _batch, generated = codes.generate_batch(official, cycle, district, f"{DEMO_CODE_PREFIX}{len(earlier) + 1}",
                                                 count)
    except ServiceError:
        return None, []
    return cycle, generated


RESIDENTS = ["Aïcha B.", "Julien M.", "Fatou D.", "Thomas L.", "Inès K.", "Marc-Antoine V.", "Chloé R.", "Yanis H."]

REASON_TEMPLATES = [
    ("Ce projet relève du fonctionnement courant de la Ville et sera traité hors budget participatif.",
     "This project is part of the city's ordinary running and will be handled outside the participatory budget."),
    ("Le coût estimé dépasse l'enveloppe disponible.", "The estimated cost exceeds the available budget."),
    ("Le lieu proposé n'appartient pas à la Ville.", "The proposed place does not belong to the city."),
    ("Ce projet entraînerait des frais de fonctionnement que le budget participatif ne peut pas financer.",
     "This project would bring running costs that the participatory budget cannot fund."),
]


def _phases(cycle: Cycle, starts: list[int]) -> None:
    """Phases from day offsets relative to today: six starts; the closed phase has no end."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    kinds = list(PhaseKind)
    for index, kind in enumerate(kinds):
        ends = None if kind == PhaseKind.CLOSED else now + timedelta(days=starts[index + 1])
        cycle.phases.append(Phase(kind=kind, starts_at=now + timedelta(days=starts[index]), ends_at=ends))


def _cycle(slug, title_fr, title_en, description_fr, description_en, total, citywide, per_district, districts,
           starts) -> Cycle | None:
    """Create the cycle unless it exists (then None: its content was loaded before)."""
    if db.session.scalar(select(Cycle).where(Cycle.slug == slug)) is not None:
        return None
    cycle = Cycle(slug=slug, title_fr=title_fr, title_en=title_en, description_fr=description_fr,
                  description_en=description_en, total_budget_cents=total * 100,
                  citywide_envelope_cents=citywide * 100, support_threshold=0)
    for district in districts.values():
        cycle.envelopes.append(Envelope(district=district, amount_cents=per_district * 100))
    _phases(cycle, starts)
    db.session.add(cycle)
    db.session.flush()
    return cycle


def _proposal(cycle, author, districts, categories, title, district, category, lat, lng, address, body,
              status, cost=None, created_days_ago=100) -> Proposal:
    created = utcnow() - timedelta(days=created_days_ago)
    proposal = Proposal(cycle=cycle, author=author, title=title, body=body, body_html=render_markdown(body),
                        district=districts.get(district), category=categories[category], latitude=lat,
                        longitude=lng, address=address, status=status, city_cost_cents=cost * 100 if cost else None,
                        ballot_title=title if cost else "", created_at=created, submitted_at=created)
    proposal.search_text = normalise(title, body, address, districts[district].name if district else "")
    db.session.add(proposal)
    db.session.flush()
    db.session.add(StatusChange(proposal=proposal, from_status="draft", to_status=ProposalStatus.SUBMITTED,
                                created_at=created))
    return proposal


def load_cycles(districts: dict) -> None:
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    residents = [
        _get_or_create(User, {"email": f"habitant{i}@demo.budget-commun.fr"},
                       password_hash=hash_password(secrets.token_urlsafe(24)), display_name=name,
                       role=Role.RESIDENT, locale="fr", email_confirmed_at=utcnow())
        for i, name in enumerate(RESIDENTS, start=1)
    ]
    official = db.session.scalar(select(User).where(User.role == Role.OFFICIAL).order_by(User.id))
    if db.session.scalar(select(ReasonTemplate.id).limit(1)) is None:
        db.session.add_all(ReasonTemplate(text_fr=fr, text_en=en) for fr, en in REASON_TEMPLATES)
    rng = random.Random(2026)  # noqa: S311 (demo data, reproducible)
    _voting_cycle(districts, categories, residents, official, rng)
    _past_cycle(districts, categories, residents, official)
    _submission_cycle(districts, categories, residents)


def _voting_cycle(districts, categories, residents, official, rng) -> None:
    cycle = _cycle(
        "budget-participatif-2026", "Budget participatif 2026", "Participatory budget 2026",
        "Deux millions d'euros pour des projets proposés par les Lillois : **votez** pour vos préférés !",
        "Two million euros for projects proposed by Lille's residents: **vote** for your favourites!",
        2_000_000, 800_000, 100_000, districts, [-160, -100, -12, 18, 45, 400],
    )
    if cycle is None:
        return
    by_title = {}
    for index, (title, district, category, lat, lng, address, cost, status, body) in enumerate(VOTING_PROPOSALS):
        proposal = _proposal(cycle, residents[index % len(residents)], districts, categories, title, district,
                             category, lat, lng, address, body, ProposalStatus.UNDER_REVIEW,
                             created_days_ago=150 - index)
        by_title[title] = proposal
        supporters = rng.sample(residents, rng.randint(0, len(residents)))
        for supporter in supporters:
            db.session.add(Support(proposal_id=proposal.id, user_id=supporter.id))
        proposal.supports_count = len(supporters)
        db.session.add(StatusChange(proposal=proposal, from_status="submitted", to_status=ProposalStatus.UNDER_REVIEW,
                                    created_at=utcnow() - timedelta(days=95), actor_id=official.id))
        final = ProposalStatus(status)
        reason = NOT_FEASIBLE_REASONS.get(title, "")
        proposal.status = final
        proposal.public_reason = reason
        if final == ProposalStatus.FEASIBLE:
            proposal.city_cost_cents = cost * 100
            proposal.ballot_title = title
            proposal.ballot_summary = body[:200]
        db.session.add(StatusChange(proposal=proposal, from_status="under_review", to_status=final, reason=reason,
                                    created_at=utcnow() - timedelta(days=20), actor_id=official.id))
    for merged_title, target_title in MERGES.items():
        merged, target = by_title[merged_title], by_title[target_title]
        merged.merged_into_id = target.id
        db.session.add(Coauthor(proposal_id=target.id, user_id=merged.author_id))
    db.session.flush()
    for proposal in by_title.values():
        if proposal.status == ProposalStatus.FEASIBLE:
            db.session.add(BallotItem(cycle_id=cycle.id, proposal_id=proposal.id, district_id=proposal.district_id,
                                      title=proposal.display_title, summary=proposal.ballot_summary,
                                      cost_cents=proposal.city_cost_cents))
    cycle.ballot_frozen_at = utcnow() - timedelta(days=12)
    _comments(by_title, residents, official)


DEMO_COMMENTS = [
    # proposal title, resident index (None: the city's answer), stance, text, reply to the previous comment?
    ("Un abri à vélos couvert au marché de Wazemmes", 1, "for",
     "Excellente idée : le dimanche on ne sait jamais où attacher son vélo.", False),
    ("Un abri à vélos couvert au marché de Wazemmes", 4, "against",
     "La place est déjà très encombrée les jours de marché, où le mettre exactement ?", False),
    ("Un abri à vélos couvert au marché de Wazemmes", None, "neutral",
     "Les services ont prévu l'abri côté rue Jules Guesde, hors de l'emprise du marché.", True),
    ("Une piste cyclable protégée boulevard de la Liberté", 2, "for",
     "Avec les enfants, c'est le trajet le plus dangereux de la semaine. Une vraie séparation avec les "
     "voitures changerait tout.", False),
    ("Une piste cyclable protégée boulevard de la Liberté", 6, "against",
     "Le coût est énorme pour un seul boulevard : je préfère plusieurs petits projets.", False),
    ("Des toilettes publiques accessibles à Moulins", 3, "for",
     "Indispensable pour les personnes âgées du quartier.", False),
    ("Un terrain de basket 3x3 aux Bois-Blancs", 5, "neutral",
     "Qui entretiendra le revêtement ? Ce serait bien de le préciser.", False),
]


def _comments(by_title, residents, official) -> None:
    from app.deliberation.services import post_comment

    previous = None
    for title, who, stance, text, is_reply in DEMO_COMMENTS:
        author = official if who is None else residents[who]
        previous = post_comment(author, by_title[title], text, stance, parent=previous if is_reply else None,
                                official=who is None)


def _past_cycle(districts, categories, residents, official) -> None:
    cycle = _cycle(
        "budget-participatif-2025", "Budget participatif 2025", "Participatory budget 2025",
        "Les projets choisis en 2025 et leur réalisation.", "The projects chosen in 2025 and how they are going.",
        1_500_000, 500_000, 80_000, districts, [-520, -460, -400, -370, -340, 200],
    )
    if cycle is None:
        return
    for index, row in enumerate(PAST_PROPOSALS):
        title, district, category, lat, lng, address, cost, status, progress, spent, body = row
        proposal = _proposal(cycle, residents[index % len(residents)], districts, categories, title, district,
                             category, lat, lng, address, body, ProposalStatus(status), cost=cost,
                             created_days_ago=510 - index)
        proposal.supports_count = 0
        for step in ("feasible", "selected" if status != "not_selected" else "not_selected"):
            db.session.add(StatusChange(proposal=proposal, from_status="", to_status=ProposalStatus(step),
                                        created_at=utcnow() - timedelta(days=380), actor_id=official.id))
        if status in ("selected", "in_progress", "done"):
            tracking = ProjectTracking(
                proposal_id=proposal.id, progress=progress, planned_budget_cents=cost * 100, spent_cents=spent * 100,
                status={"selected": ProjectStatus.PLANNED, "in_progress": ProjectStatus.IN_PROGRESS,
                        "done": ProjectStatus.DONE}[status],
            )
            db.session.add(tracking)
            db.session.flush()
            if status != "selected":
                db.session.add(TrackingUpdate(
                    tracking_id=tracking.id, happened_on=(utcnow() - timedelta(days=200)).date(),
                    title="Début des travaux", body="Les services de la Ville ont commencé le chantier.",
                    body_html=render_markdown("Les services de la Ville ont commencé le chantier."),
                    author_id=official.id))
            if status == "done":
                db.session.add(TrackingUpdate(
                    tracking_id=tracking.id, happened_on=(utcnow() - timedelta(days=60)).date(),
                    title="Projet terminé", body="Le projet est terminé et ouvert à tous. Merci aux habitants !",
                    body_html=render_markdown("Le projet est terminé et ouvert à tous. Merci aux habitants !"),
                    author_id=official.id))


def _submission_cycle(districts, categories, residents) -> None:
    cycle = _cycle(
        "budget-participatif-2027", "Budget participatif 2027", "Participatory budget 2027",
        "Vous avez une idée pour votre quartier ? **Proposez-la** jusqu'à la fin du dépôt des projets.",
        "Have an idea for your neighbourhood? **Propose it** before submissions close.",
        2_000_000, 800_000, 100_000, districts, [-10, 50, 110, 140, 170, 540],
    )
    if cycle is None:
        return
    for index, (title, district, category, lat, lng, address, body) in enumerate(SUBMISSION_PROPOSALS):
        _proposal(cycle, residents[index], districts, categories, title, district, category, lat, lng, address,
                  body, ProposalStatus.SUBMITTED, created_days_ago=8 - index)
