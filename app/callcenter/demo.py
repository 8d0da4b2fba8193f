"""Demo data for the call center, called by ``app.demo.load_demo`` (idempotent).

Calls go through the same services as the agent's console. Phone numbers are in the 01 99 00 range that the French
regulator keeps for fiction.
"""

from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.callcenter import services
from app.callcenter.models import CallbackTask, CallOutcome, ContactPreference, MunicipalService
from app.cycles.models import Category, Cycle, District
from app.extensions import db
from app.proposals.models import Proposal, ProposalStatus

AGENT_EMAIL = "accueil@demo.budget-commun.fr"

MUNICIPAL_SERVICES = [
    ("Propreté et voirie", "Street cleaning and roads", "Reiniging en wegen",
     "Je transmets votre signalement au service propreté et voirie : une équipe passe en général sous 72 heures. "
     "Vous pouvez aussi le signaler vous-même sur l'application de la Ville.",
     "I am passing your report to the street cleaning and roads service: a team usually comes within 72 hours. "
     "You can also report it yourself in the city's app."),
    ("Éclairage public", "Street lighting", "Straatverlichting",
     "Je signale la panne à l'éclairage public. La réparation d'un lampadaire prend en général une semaine.",
     "I am reporting the fault to street lighting. Repairing a street lamp usually takes a week."),
    ("Police municipale", "Municipal police", "Gemeentepolitie",
     "Pour une nuisance ou un stationnement gênant, la police municipale répond au 03 20 49 50 00, 7 jours sur 7. "
     "En cas d'urgence, appelez le 17.",
     "For a nuisance or bad parking, the municipal police answer on 03 20 49 50 00, every day. In an emergency, "
     "call 17."),
    ("Espaces verts", "Parks and green spaces", "Groenvoorziening",
     "L'entretien des parcs et des arbres relève du service des espaces verts : je lui transmets votre demande.",
     "Looking after parks and trees is the job of the parks service: I am passing your request on."),
]


def load_callcenter_demo() -> None:
    """Services, a few calls of each outcome (one phone proposal), and callbacks due. Flushes; the caller commits."""
    if db.session.scalar(select(func.count()).select_from(MunicipalService)):
        return
    agent = db.session.scalar(select(User).where(User.email == AGENT_EMAIL, User.role == Role.AGENT))
    submission = db.session.scalar(select(Cycle).where(Cycle.slug == "budget-participatif-2027"))
    voting = db.session.scalar(select(Cycle).where(Cycle.slug == "budget-participatif-2026"))
    if agent is None or submission is None or voting is None:
        return
    rows = []
    for fr, en, nl, answer_fr, answer_en in MUNICIPAL_SERVICES:
        row = MunicipalService(name_fr=fr, name_en=en, name_nl=nl, answer_fr=answer_fr, answer_en=answer_en)
        db.session.add(row)
        rows.append(row)
    submission.phone_supports = True
    db.session.flush()
    districts = {d.slug: d for d in db.session.scalars(select(District))}
    categories = {c.slug: c for c in db.session.scalars(select(Category))}

    def caller(name, number, language="fr", email="", preferred=ContactPreference.PHONE):
        return services.CallerDetails(name=name, phone=number, email=email, language=language,
                                      preferred_contact=preferred)

    # 1. New proposals on callers' behalf (one with consent, one without).
    services.record_call(agent, services.Intake(
        outcome=CallOutcome.NEW_PROPOSAL, cycle=submission, consent=True,
        caller=caller("Josiane P.", "01 99 00 12 01"),
        complaint="Il n'y a aucun banc à l'arrêt de bus Porte de Valenciennes. Les personnes âgées attendent debout, "
                  "parfois vingt minutes.",
        title="Des bancs à l'arrêt de bus Porte de Valenciennes", district=districts.get("lille-moulins"),
        category=categories.get("cadre-de-vie"), address="Arrêt Porte de Valenciennes", latitude=50.6236,
        longitude=3.0747))
    services.record_call(agent, services.Intake(
        outcome=CallOutcome.NEW_PROPOSAL, cycle=submission, consent=False,
        complaint="La rue Pierre Legrand est très sombre le soir entre le métro et l'école : il faudrait un "
                  "éclairage plus fort et des passages piétons éclairés.",
        district=districts.get("fives"), category=categories.get("mobilite")))
    # 2. Callers attached to existing proposals: one in the open submission (with a support by phone), two on
    # projects now on the ballot, who get a callback now that voting is open.
    open_proposal = db.session.scalar(select(Proposal).where(Proposal.cycle_id == submission.id,
                                                             Proposal.status == ProposalStatus.SUBMITTED,
                                                             Proposal.channel == "web").order_by(Proposal.id))
    on_ballot = db.session.scalars(select(Proposal).where(Proposal.cycle_id == voting.id,
                                                          Proposal.status == ProposalStatus.FEASIBLE)
                                   .order_by(Proposal.id).limit(2)).all()
    if open_proposal is not None:
        services.record_call(agent, services.Intake(
            outcome=CallOutcome.ATTACHED, proposal=open_proposal, consent=True, phone_support=True,
            caller=caller("Mohamed A.", "01 99 00 12 02"),
            complaint="Veut la même chose pour son quartier et soutient le projet."))
    people = [caller("Odette V.", "01 99 00 12 03"),
              caller("Pieter D.", "01 99 00 12 04", language="nl"),
              caller("Emily R.", "01 99 00 12 05", language="en", email="emily.r@example.org",
                     preferred=ContactPreference.EMAIL)]
    for index, proposal in enumerate(on_ballot):
        for details in people[index::2]:
            services.record_call(agent, services.Intake(
                outcome=CallOutcome.ATTACHED, proposal=proposal, consent=True, caller=details,
                language=details.language, complaint="Demande où en est ce projet et veut être tenu au courant."))
    db.session.flush()
    services.voting_opened(on_ballot)
    late = db.session.scalar(select(CallbackTask).where(CallbackTask.channel == ContactPreference.PHONE)
                             .order_by(CallbackTask.id))
    if late is not None:
        late.due_on = late.due_on - timedelta(days=1)  # one callback already late, to show it in the queue
    # 3. Not for the participatory budget: contact data are never kept.
    for service, complaint in ((rows[0], "Dépôt sauvage d'encombrants rue d'Arras depuis une semaine."),
                               (rows[1], "Lampadaire en panne devant le 12 rue Gambetta."),
                               (rows[2], "Voitures garées sur le trottoir devant l'école tous les matins.")):
        services.record_call(agent, services.Intake(outcome=CallOutcome.NOT_PB, service=service, complaint=complaint))
    db.session.flush()
