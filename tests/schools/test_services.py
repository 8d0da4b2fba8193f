"""Schools services: schools and teachers, classes, budgets, cards, ideas, moderation, votes, results, erasure."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.clock import utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry
from app.core.purge import purge_all
from app.cycles.models import PhaseKind
from app.cycles.services import cycles_by_state, get_cycle_by_slug, open_cycles
from app.proposals.models import Proposal, ProposalStatus
from app.proposals.search import listing
from app.schools import services
from app.schools.models import Moderation, Pupil, PupilComment, PupilIdea
from app.schools.permissions import can
from app.voting.models import Participation
from tests.factories import make_cycle, make_user
from tests.schools.conftest import approved_idea, make_class, make_school, make_teacher, to_phase


def test_only_officials_create_schools(db):
    with pytest.raises(NotAllowed):
        services.create_school(make_user(Role.TEACHER), "École")
    school, _official = make_school("École Pasteur")
    assert school.id and school.name == "École Pasteur"


def test_granting_teachers_official_or_coordinator(db):
    school, official = make_school()
    coordinator = make_teacher(school, official, coordinator=True)
    assert coordinator.role == Role.TEACHER
    newcomer = make_user()
    services.grant_teacher(coordinator, school, newcomer.email.upper())
    assert newcomer.role == Role.TEACHER
    plain = make_teacher(school, official)
    with pytest.raises(NotAllowed):
        services.grant_teacher(plain, school, make_user().email)
    with pytest.raises(NotAllowed):  # only the city names coordinators
        services.grant_teacher(coordinator, school, make_user().email, coordinator=True)
    other_school, _ = make_school("Autre")
    with pytest.raises(NotAllowed):
        services.grant_teacher(coordinator, other_school, make_user().email)
    with pytest.raises(ServiceError):
        services.grant_teacher(official, school, make_user(Role.MODERATOR).email)
    with pytest.raises(ServiceError):
        services.grant_teacher(official, school, "nobody@example.org")


def test_classes_only_by_teachers_of_the_school(db):
    school, official = make_school()
    teacher = make_teacher(school, official)
    other_school, _ = make_school("Autre")
    with pytest.raises(NotAllowed):
        services.create_class(teacher, other_school, "CE1", 2, "2026-2027")
    with pytest.raises(NotAllowed):
        services.create_class(official, school, "CE1", 2, "2026-2027")
    with pytest.raises(ServiceError) as error:
        services.create_class(teacher, school, "CE1", 2, "2026")
    assert error.value.field == "school_year"
    klass = services.create_class(teacher, school, "CE1", 2, "2026-2027")
    assert klass.year_ends_on.year == 2027 and len(klass.code) == 9
    assert services.classes_of(teacher) == [klass]


def test_budget_is_a_school_cycle_left_out_of_city_listings(db):
    city = make_cycle()
    klass, teacher, _cards = make_class()
    cycle = klass.cycle
    assert cycle.school_id == klass.school_id
    assert services.class_phase(klass) == PhaseKind.SUBMISSION
    assert cycle not in open_cycles() and city in open_cycles()
    assert cycle not in sum(cycles_by_state().values(), [])
    assert get_cycle_by_slug(cycle.slug) is None
    with pytest.raises(ServiceError):
        services.create_budget(teacher, klass, "Encore", 1000, "approval")


def test_budget_rejects_bad_values(db):
    klass, teacher, _ = make_class(budget=False, cards=0)
    for title, amount, kind, field in (("", 1000, "approval", "title"), ("Cour", 0, "approval", "budget"),
                                       ("Cour", 1000, "cumulative", "kind")):
        with pytest.raises(ServiceError) as error:
            services.create_budget(teacher, klass, title, amount, kind)
        assert error.value.field == field
    assert klass.cycle_id is None


def test_whole_school_budget_is_shared(db):
    klass, teacher, _ = make_class(budget=False, cards=0)
    sister = services.create_class(teacher, klass.school, "CM1", 4, "2026-2027")
    cycle = services.create_budget(teacher, klass, "L'école", 500_000, "knapsack", whole_school=True)
    assert sister.cycle_id == cycle.id


def test_cards_have_pseudonyms_and_hashed_codes(db):
    klass, teacher, cards = make_class(cards=5)
    assert len({card.pupil.pseudonym for card in cards}) == 5
    for card in cards:
        assert len(card.code.replace("-", "")) == services.CARD_CODE_LENGTH
        assert card.code.replace("-", "") not in card.pupil.code_hash
    columns = set(Pupil.__table__.columns.keys())
    assert columns == {"id", "class_id", "animal", "colour", "code_hash", "created_at", "revoked_at"}
    with pytest.raises(ServiceError):
        services.make_cards(teacher, klass, 40)


def test_sign_in_with_class_code_and_card(db):
    klass, teacher, cards = make_class()
    card = cards[0]
    assert services.sign_in(klass.code.lower(), card.code.replace("-", " ")) == card.pupil
    other, _, other_cards = make_class()
    with pytest.raises(ServiceError):  # a card works only for its class
        services.sign_in(other.code, card.code)
    with pytest.raises(ServiceError):
        services.sign_in(klass.code, "nonsense")
    new = services.reprint_card(teacher, card.pupil)
    with pytest.raises(ServiceError):
        services.sign_in(klass.code, card.code)
    assert services.sign_in(klass.code, new.code) == card.pupil
    services.revoke_card(teacher, card.pupil)
    with pytest.raises(ServiceError):
        services.sign_in(klass.code, new.code)
    with pytest.raises(NotAllowed):  # another class's teacher
        services.revoke_card(_teacher_of(other), cards[1].pupil)


def _teacher_of(klass):
    return klass.teacher


def test_ideas_wait_for_the_teacher(db):
    klass, teacher, cards = make_class()
    author, classmate = cards[0].pupil, cards[1].pupil
    price = services.prices_of(klass)[0]
    idea = services.propose(author, "Un potager", "Pour <script>x</script> apprendre.", price)
    assert idea.state == Moderation.WAITING and idea.proposal.channel == "school"
    assert "<script>" not in idea.proposal.body_html
    assert services.ideas_of(klass.cycle) == []
    assert services.waiting(klass)[0] == [idea]
    services.moderate_idea(teacher, idea, True)
    assert idea.proposal.status == ProposalStatus.FEASIBLE and idea.proposal.city_cost_cents == price.cost_cents
    assert services.ideas_of(klass.cycle) == [idea]
    note = services.comment(classmate, idea, "against", "Trop cher")
    assert services.comments_of(idea) == [] and services.comments_of(idea, classmate) == [note]
    services.moderate_comment(teacher, note, True)
    assert services.comments_of(idea) == [note]
    with pytest.raises(ServiceError):  # the same decision twice (two tabs): said, nothing changes
        services.moderate_comment(teacher, note, True)


def test_teacher_changes_a_decision_until_the_vote(db):
    klass, teacher, cards = make_class()
    idea = approved_idea(klass, teacher, cards[0].pupil)
    note = services.comment(cards[1].pupil, idea, "for", "Super")
    services.moderate_comment(teacher, note, True)
    other = services.propose(cards[1].pupil, "Un potager", "Pour apprendre.", services.prices_of(klass)[1])
    services.moderate_idea(teacher, other, False)
    assert services.decided(klass) == ([idea, other], [note])
    services.moderate_comment(teacher, note, False)  # approved too fast: hidden again
    assert services.comments_of(idea) == []
    services.moderate_idea(teacher, idea, False)
    services.moderate_idea(teacher, other, True)
    assert services.ideas_of(klass.cycle) == [other]
    assert idea.proposal.status == ProposalStatus.NOT_FEASIBLE and other.proposal.status == ProposalStatus.FEASIBLE
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "school.idea_moderated")
                                 .order_by(AuditEntry.id)).all()
    assert [json.loads(entry.details)["changed"] for entry in entries] == [False, False, True, True]
    with pytest.raises(ServiceError):
        services.moderate_idea(teacher, other, True)
    to_phase(klass, teacher, PhaseKind.VOTING)
    with pytest.raises(ServiceError):  # on the ballot now
        services.moderate_idea(teacher, other, False)
    assert services.ideas_of(klass.cycle) == [other]


def test_pupil_changes_an_idea_the_teacher_has_not_kept(db):
    klass, teacher, cards = make_class()
    author, classmate = cards[0].pupil, cards[1].pupil
    cheap, dear = services.prices_of(klass)[1], services.prices_of(klass)[0]
    idea = services.propose(author, "Un potager", "Pour apprendre.", cheap)
    assert services.can_change_idea(author, idea) and not services.can_change_idea(classmate, idea)
    with pytest.raises(NotAllowed):
        services.change_idea(classmate, idea, "Pris", "Par un autre", cheap)
    with pytest.raises(ServiceError) as error:  # bad input changes nothing
        services.change_idea(author, idea, "", "Pourquoi", dear)
    assert error.value.field == "title" and idea.proposal.title == "Un potager"
    services.change_idea(author, idea, "Un grand potager", "Pour *tout* apprendre.", dear)
    assert (idea.proposal.title, idea.proposal.estimated_cost_cents, idea.price_item) == (
        "Un grand potager", dear.cost_cents, dear)
    assert "<em>tout</em>" in idea.proposal.body_html
    services.moderate_idea(teacher, idea, False)
    assert services.my_ideas(author) == [idea]
    services.change_idea(author, idea, "Un petit potager", "Moins cher.", cheap)  # sent to the teacher again
    assert idea.state == Moderation.WAITING and idea.proposal.status == ProposalStatus.SUBMITTED
    assert services.waiting(klass)[0] == [idea]
    services.moderate_idea(teacher, idea, True)
    assert not services.can_change_idea(author, idea)
    with pytest.raises(ServiceError):  # classmates have seen it as it is
        services.change_idea(author, idea, "Autre chose", "Tant pis", cheap)
    assert services.my_ideas(author) == []


def test_pupil_takes_back_an_idea_until_the_vote(db):
    klass, teacher, cards = make_class()
    author, classmate = cards[0].pupil, cards[1].pupil
    idea = approved_idea(klass, teacher, author)
    kept = approved_idea(klass, teacher, classmate, "Des livres")
    services.comment(classmate, idea, "for", "Oui")
    proposal_id = idea.proposal_id
    with pytest.raises(NotAllowed):
        services.withdraw_idea(classmate, idea)
    services.move_phase(teacher, klass)  # the discussion: still possible
    services.withdraw_idea(author, idea)
    assert db.session.get(Proposal, proposal_id) is None
    assert db.session.scalar(select(func.count(PupilComment.id))) == 0
    assert services.ideas_of(klass.cycle) == [kept]
    services.move_phase(teacher, klass)
    assert not services.can_withdraw_idea(classmate, kept)
    with pytest.raises(NotAllowed):  # on the ballot now
        services.withdraw_idea(classmate, kept)


def test_idea_needs_a_price_of_the_class_and_the_ideas_phase(db):
    klass, teacher, cards = make_class()
    other, _, _ = make_class()
    with pytest.raises(ServiceError) as error:
        services.propose(cards[0].pupil, "Un potager", "Pourquoi pas", services.prices_of(other)[0])
    assert error.value.field == "price"
    with pytest.raises(ServiceError):
        services.propose(cards[0].pupil, "", "Pourquoi pas", services.prices_of(klass)[0])
    approved_idea(klass, teacher, cards[0].pupil)
    services.move_phase(teacher, klass)
    with pytest.raises(NotAllowed):
        services.propose(cards[0].pupil, "Tard", "Trop tard", services.prices_of(klass)[0])


def test_other_teachers_cannot_moderate(db):
    klass, teacher, cards = make_class()
    other, other_teacher, _ = make_class()
    idea = services.propose(cards[0].pupil, "Un potager", "Pourquoi pas", services.prices_of(klass)[0])
    with pytest.raises(NotAllowed):
        services.moderate_idea(other_teacher, idea, True)


def test_vote_needs_approved_ideas_then_one_ballot_per_pupil_and_results(db):
    empty, empty_teacher, _ = make_class(cards=0)
    with pytest.raises(ServiceError):
        to_phase(empty, empty_teacher, PhaseKind.VOTING)
    assert services.class_phase(empty) == PhaseKind.REVIEW
    klass, teacher, cards = make_class(cards=3)
    benches = approved_idea(klass, teacher, cards[0].pupil, "Des bancs")
    books = approved_idea(klass, teacher, cards[1].pupil, "Des livres", services.prices_of(klass)[1])
    to_phase(klass, teacher, PhaseKind.VOTING)
    items = {item.proposal_id: item.id for item in services.ballot_items(klass.cycle)}
    services.vote(cards[0].pupil, [items[benches.proposal_id]])
    services.vote(cards[1].pupil, [items[benches.proposal_id], items[books.proposal_id]])
    with pytest.raises(ServiceError):
        services.vote(cards[0].pupil, [items[books.proposal_id]])
    assert services.has_voted(cards[0].pupil) and not services.has_voted(cards[2].pupil)
    keys = set(db.session.scalars(select(Participation.voter_key).where(Participation.cycle_id == klass.cycle_id)))
    assert keys == {cards[0].pupil.learner_key, cards[1].pupil.learner_key}
    services.move_phase(teacher, klass)
    assert services.class_phase(klass) == PhaseKind.RESULTS
    run, rows = services.results(klass.cycle)
    assert run is not None and {row.title: row.votes for row in rows} == {"Des bancs": 2, "Des livres": 1}
    assert all(row.selected for row in rows) and all(row.reasons for row in rows)
    assert services.participation(klass) == {"cards": 3, "proposed": 2, "commented": 0, "voted": 2}
    assert services.next_phase(klass) is None


def test_school_ideas_stay_out_of_city_listings(db):
    klass, teacher, cards = make_class()
    idea = approved_idea(klass, teacher, cards[0].pupil)
    page = listing(db.session, statuses=[ProposalStatus.FEASIBLE, ProposalStatus.SUBMITTED])
    assert idea.proposal_id not in {p.id for p in page.items}


def test_erase_keeps_results_and_totals(db):
    klass, teacher, cards = make_class(cards=2)
    idea = approved_idea(klass, teacher, cards[0].pupil)
    services.propose(cards[1].pupil, "Refusée", "Non", services.prices_of(klass)[0])
    services.comment(cards[1].pupil, idea, "for", "Oui !")
    to_phase(klass, teacher, PhaseKind.VOTING)
    item = services.ballot_items(klass.cycle)[0]
    services.vote(cards[1].pupil, [item.id])
    to_phase(klass, teacher, PhaseKind.RESULTS)
    with pytest.raises(NotAllowed):
        services.erase_pupils(make_user(Role.TEACHER), klass)
    assert services.erase_pupils(teacher, klass) == 2
    assert db.session.scalars(select(Pupil).where(Pupil.class_id == klass.id)).all() == []
    assert db.session.scalars(select(PupilComment)).all() == []
    assert [i.proposal.title for i in db.session.scalars(select(PupilIdea).where(PupilIdea.class_id == klass.id))] \
        == [idea.proposal.title]
    assert services.participation(klass) == {"cards": 2, "proposed": 2, "commented": 1, "voted": 1}
    run, rows = services.results(klass.cycle)
    assert [row.votes for row in rows] == [1]
    assert db.session.scalar(select(Participation).where(Participation.cycle_id == klass.cycle_id)) is None
    with pytest.raises(ServiceError):
        services.erase_pupils(teacher, klass)


def test_purge_erases_classes_whose_year_ended(db):
    klass, _teacher, _cards = make_class(cards=2)
    current, _, _ = make_class(cards=1)
    klass.year_ends_on = (utcnow() - timedelta(days=1)).date()
    results = {purger.name: count for purger, count in purge_all(overrides={"callers": lambda now: 0})}
    assert results["pupils"] == 2
    assert klass.erased_at is not None and current.erased_at is None


def test_winning_idea_goes_to_the_city(db):
    city = make_cycle(PhaseKind.SUBMISSION)
    klass, teacher, cards = make_class()
    idea = approved_idea(klass, teacher, cards[0].pupil)
    with pytest.raises(ServiceError):  # not chosen yet
        services.submit_to_city(teacher, idea, city)
    to_phase(klass, teacher, PhaseKind.VOTING)
    services.vote(cards[0].pupil, [services.ballot_items(klass.cycle)[0].id])
    to_phase(klass, teacher, PhaseKind.RESULTS)
    with pytest.raises(NotAllowed):
        services.submit_to_city(teacher, idea, klass.cycle)
    proposal = services.submit_to_city(teacher, idea, city)
    assert proposal.cycle == city and proposal.channel == "school" and proposal.status == ProposalStatus.SUBMITTED
    assert "CM2 B" in proposal.body
    assert idea.city_proposal_id == proposal.id and services.sent_to_city(klass) == [idea]
    with pytest.raises(ServiceError):
        services.submit_to_city(teacher, idea, city)
    assert db.session.get(Proposal, proposal.id).cycle.school_id is None


def test_school_ideas_stay_out_of_review_and_mentions(db):
    from app.deliberation.services import link_mentions
    from app.review.services import review_query

    klass, teacher, cards = make_class()
    idea = approved_idea(klass, teacher, cards[0].pupil)
    assert idea.proposal_id not in {p.id for p in db.session.scalars(review_query(None, status="all"))}
    assert "/proposals/" not in link_mentions(f"Voir #{idea.proposal_id}")


def test_knapsack_class_vote_keeps_within_the_class_budget(db):
    """Older pupils vote with a budget: a ballot that costs more than the class's money is refused and nothing is
    written; one within it counts."""
    from app.voting.models import Ballot

    school, official = make_school()
    teacher = make_teacher(school, official)
    klass = services.create_class(teacher, school, "4e A", 8, "2026-2027")
    services.create_budget(teacher, klass, "Le foyer", 200_000, "knapsack")
    big = services.add_price(teacher, klass, "Un baby-foot", "star", 150_000)
    cards = services.make_cards(teacher, klass, 2)
    approved_idea(klass, teacher, cards[0].pupil, "Un baby-foot", big)
    approved_idea(klass, teacher, cards[1].pupil, "Une table de ping-pong", big)
    to_phase(klass, teacher, PhaseKind.VOTING)
    items = [item.id for item in services.ballot_items(klass.cycle)]
    with pytest.raises(ServiceError):
        services.vote(cards[0].pupil, items)  # 3,000 € for a 2,000 € budget
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    assert not services.has_voted(cards[0].pupil)
    services.vote(cards[0].pupil, items[:1])
    assert services.has_voted(cards[0].pupil)


def test_schools_are_renamed_and_deleted_by_officials_only(db):
    school, official = make_school()
    teacher = make_teacher(school, official)
    other, _ = make_school("École Moulins")
    services.grant_teacher(official, other, teacher.email)
    alone = make_teacher(school, official)
    with pytest.raises(NotAllowed):
        services.update_school(teacher, school, "Renommée")
    with pytest.raises(ServiceError) as error:
        services.update_school(official, school, "  ")
    assert error.value.field == "name"
    services.update_school(official, school, "École Jean-Macé")
    assert school.name == "École Jean-Macé"
    with pytest.raises(NotAllowed):
        services.delete_school(teacher, school)
    services.delete_school(official, school)
    assert db.session.get(type(school), school.id) is None
    assert teacher.role == Role.TEACHER and alone.role == Role.RESIDENT  # one still teaches at Moulins
    klass, class_teacher, _ = make_class(cards=0)
    with pytest.raises(ServiceError):  # a school with classes keeps their results
        services.delete_school(official, klass.school)


def test_a_class_is_handed_over_within_its_school_before_its_teacher_leaves(db):
    klass, teacher, _ = make_class(cards=1)
    official = make_user(Role.OFFICIAL)
    colleague = make_teacher(klass.school, official)
    elsewhere_school, _ = make_school("École Moulins")
    stranger = make_teacher(elsewhere_school, official)
    leaving, staying = (next(m for m in klass.school.teachers if m.user_id == user.id) for user in (teacher, colleague))
    with pytest.raises(ServiceError):
        services.remove_teacher(official, leaving)
    with pytest.raises(ServiceError):  # a teacher of another school
        services.hand_over(official, klass, elsewhere_school.teachers[0])
    with pytest.raises(NotAllowed):  # a plain teacher does not run the school
        services.hand_over(colleague, klass, staying)
    services.hand_over(official, klass, staying)
    assert klass.teacher_id == colleague.id
    assert can(colleague, "class.manage", klass) and not can(teacher, "class.manage", klass)
    services.remove_teacher(official, leaving)
    assert teacher.role == Role.RESIDENT and [m.user_id for m in klass.school.teachers] == [colleague.id]
    assert stranger.role == Role.TEACHER


def test_a_class_is_deleted_only_before_its_budget_opens(db):
    from app.lessons import services as lessons
    from app.lessons.models import QuizAnswers
    from app.schools.models import PriceItem, SchoolClass
    from tests.lessons.test_lessons_services import right

    klass, teacher, cards = make_class(budget=False, cards=2)
    services.add_price(teacher, klass, "Un banc", "bench", 30_000)
    lessons.record_answers(cards[0].pupil.learner_key, "public-budget", right("public-budget"))
    opened, opened_teacher, _ = make_class(school=klass.school, teacher=teacher)
    other = make_teacher(klass.school, make_user(Role.OFFICIAL))
    with pytest.raises(NotAllowed):  # another teacher's class
        services.delete_class(other, klass)
    with pytest.raises(ServiceError):  # its budget is open: it keeps its results
        services.delete_class(teacher, opened)
    class_id = klass.id
    services.delete_class(teacher, klass)
    assert db.session.get(SchoolClass, class_id) is None
    assert db.session.scalar(select(func.count(Pupil.id)).where(Pupil.class_id == class_id)) == 0
    assert db.session.scalar(select(func.count(PriceItem.id)).where(PriceItem.class_id == class_id)) == 0
    assert db.session.scalar(select(func.count(QuizAnswers.id))) == 0
    assert services.classes_of(teacher) == [opened]
