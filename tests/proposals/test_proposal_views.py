"""Proposals through the web: submit, drafts, edit, withdraw, supports, follows, listing and search."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.models import Notification
from app.cycles.models import PhaseKind
from app.proposals.models import Follow, Proposal, ProposalImage, ProposalStatus, Support
from app.proposals.services import change_status
from tests.conftest import csrf_token, login
from tests.factories import make_category, make_cycle, make_district, make_proposal, make_user

EN = {"Accept-Language": "en"}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def png_bytes(size=(40, 30), with_exif=False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if with_exif:
        exif = Image.Exif()
        exif[0x010E] = "secret description"  # ImageDescription
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def setting(db):
    district = make_district("Wazemmes")
    category = make_category("Mobilité")
    cycle = make_cycle(PhaseKind.SUBMISSION, districts=[district])
    db.session.commit()
    return cycle, district, category


def form_data(client, _cycle, category_, district_=None, **overrides):
    category, district = category_, district_
    data = {
        "csrf_token": csrf_token(client, "/"),
        "title": "Un abri à vélos couvert",
        "body": "Il manque un abri à vélos **couvert** près du marché de Wazemmes.",
        "category": str(category.id),
        "district": str(district.id) if district else "0",
        "address": "Place de la Nouvelle Aventure",
        "latitude": "50.6245",
        "longitude": "3.0500",
        "estimated_cost": "15 000",
        "images_alt": "",
    }
    data.update(overrides)
    return data


def test_resident_submits_a_proposal_with_an_image(client, db, login_as, setting):
    cycle, district, category = setting
    user = login_as()
    data = form_data(client, cycle, category, district, submit="1", images_alt="Un vélo rouge")
    data["images"] = [(io.BytesIO(png_bytes(with_exif=True)), "photo<script>.jpg")]
    response = client.post(f"/proposals/new?cycle={cycle.slug}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal).where(Proposal.author_id == user.id))
    assert proposal.status == ProposalStatus.SUBMITTED
    assert proposal.estimated_cost_cents == 1_500_000
    assert "<strong>couvert</strong>" in proposal.body_html
    assert (proposal.latitude, proposal.longitude) == (50.6245, 3.05)
    [image] = db.session.scalars(select(ProposalImage)).all()
    assert image.alt == "Un vélo rouge" and b"secret description" not in image.data
    assert client.get(f"/proposals/images/{image.token}").headers["Content-Type"] == "image/jpeg"
    page = client.get(response.location).get_data(as_text=True)
    assert "Un abri à vélos couvert" in page and "photo<script>" not in page
    # The author follows their own proposal
    assert db.session.scalar(select(Follow).where(Follow.user_id == user.id)) is not None


def test_draft_is_private_then_submitted(client, db, login_as, setting):
    cycle, district, category = setting
    author = login_as()
    data = form_data(client, cycle, category, save_draft="1")
    response = client.post(f"/proposals/new?cycle={cycle.slug}", data=data)
    proposal = db.session.scalar(select(Proposal).where(Proposal.author_id == author.id))
    assert proposal.status == ProposalStatus.DRAFT
    assert client.get(response.location).status_code == 200
    other = client.application.test_client()
    assert other.get(response.location).status_code == 404
    assert "Un abri" not in other.get("/proposals/").get_data(as_text=True)
    edit = f"/proposals/{proposal.id}/edit"
    data = form_data(client, cycle, category, submit="1")
    data["csrf_token"] = csrf_token(client, edit)
    assert client.post(edit, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.SUBMITTED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Please give your idea a title."),
        ({"title": "x" * 151}, "The title must have between 5 and 150 characters."),
        ({"body": "trop court"}, "The description must have between 20 and 10000 characters."),
        ({"body": "x" * 10001}, "The description must have between 20 and 10000 characters."),
        ({"category": "0"}, "Please choose a theme."),
        ({"category": "999999"}, "Please choose an option from the list."),
        ({"district": "abc"}, "Please choose an option from the list."),
        ({"latitude": "91"}, "Not a valid latitude."),
        ({"longitude": ""}, "Give both latitude and longitude, or neither."),
        ({"estimated_cost": "-5"}, "An amount cannot be negative."),
        ({"estimated_cost": "beaucoup"}, "Please enter an amount in euros"),
        ({"address": "a" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(client, db, login_as, setting, overrides, message):
    cycle, district, category = setting
    login_as(locale="en")
    data = form_data(client, cycle, category, submit="1", **overrides)
    response = client.post(f"/proposals/new?cycle={cycle.slug}", data=data, headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, Proposal) == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<svg onload=alert(1)></svg>", "image.png", "This file is not an image we can read."),
        (b"GIF89a" + b"\x00" * 30, "x.gif", "This file is not an image we can read."),
        (b"x" * (5 * 1024 * 1024 + 10), "big.jpg", "Each image must be smaller than 5 MB."),
    ],
)
def test_bad_images_are_refused_and_nothing_is_saved(client, db, login_as, setting, content, name, message):
    cycle, district, category = setting
    login_as(locale="en")
    data = form_data(client, cycle, category, submit="1")
    data["images"] = [(io.BytesIO(content), name)]
    response = client.post(f"/proposals/new?cycle={cycle.slug}", data=data, content_type="multipart/form-data",
                           headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, Proposal) == 0 and count(db, ProposalImage) == 0


def test_at_most_three_images(client, db, login_as, setting):
    cycle, district, category = setting
    login_as(locale="en")
    data = form_data(client, cycle, category, submit="1")
    data["images"] = [(io.BytesIO(png_bytes()), f"{i}.png") for i in range(4)]
    response = client.post(f"/proposals/new?cycle={cycle.slug}", data=data, content_type="multipart/form-data",
                           headers=EN)
    assert response.status_code == 422 and "at most 3 images" in response.get_data(as_text=True)
    assert count(db, Proposal) == 0


def test_unconfirmed_residents_cannot_propose(client, db, login_as, setting):
    cycle, district, category = setting
    login_as(confirmed=False)
    response = client.post(f"/proposals/new?cycle={cycle.slug}", data=form_data(client, cycle, category, submit="1"))
    assert response.status_code == 302 and "/account/profile" in response.location
    assert count(db, Proposal) == 0


@pytest.mark.parametrize("phase", [p for p in PhaseKind if p != PhaseKind.SUBMISSION])
def test_no_submission_outside_the_submission_phase(client, db, login_as, phase):
    cycle = make_cycle(phase)
    category = make_category()
    db.session.commit()
    login_as()
    data = form_data(client, cycle, category, submit="1")
    response = client.post(f"/proposals/new?cycle={cycle.slug}", data=data)
    assert response.status_code == 302
    assert count(db, Proposal) == 0


def test_anonymous_visitors_are_sent_to_login(client, db, setting):
    cycle, _district, _category = setting
    response = client.get(f"/proposals/new?cycle={cycle.slug}")
    assert response.status_code == 302 and "/account/login" in response.location


def test_only_the_author_edits_and_only_during_submission(client, db, login_as, setting, any_role):
    cycle, district, category = setting
    proposal = make_proposal(cycle, category=category)
    db.session.commit()
    login_as(any_role)
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 403
    login(client, proposal.author)
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 200
    change_status(None, proposal, ProposalStatus.UNDER_REVIEW)
    db.session.commit()
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 403


def test_author_cannot_edit_after_submission_closes(client, db):
    cycle = make_cycle(PhaseKind.REVIEW)
    proposal = make_proposal(cycle)
    db.session.commit()
    login(client, proposal.author)
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 403
    token = csrf_token(client, f"/proposals/{proposal.id}")
    assert client.post(f"/proposals/{proposal.id}/withdraw", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.SUBMITTED


def test_withdraw_keeps_a_public_history(client, db, setting):
    cycle, _district, category = setting
    proposal = make_proposal(cycle, category=category)
    db.session.commit()
    login(client, proposal.author)
    token = csrf_token(client, f"/proposals/{proposal.id}")
    client.post(f"/proposals/{proposal.id}/withdraw", data={"csrf_token": token})
    anonymous = client.application.test_client()
    page = anonymous.get(f"/proposals/{proposal.id}", headers=EN).get_data(as_text=True)
    assert "Withdrawn by its author" in page


def test_support_once_and_withdraw(client, db, login_as, setting):
    cycle, _district, category = setting
    proposal = make_proposal(cycle, category=category)
    db.session.commit()
    login_as()
    path = f"/proposals/{proposal.id}"
    for _attempt in range(2):
        client.post(f"{path}/support", data={"csrf_token": csrf_token(client, path)})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).supports_count == 1 and count(db, Support) == 1
    client.post(f"{path}/unsupport", data={"csrf_token": csrf_token(client, path)})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).supports_count == 0 and count(db, Support) == 0


def test_support_without_csrf_or_out_of_phase_is_refused(client, db, login_as):
    cycle = make_cycle(PhaseKind.VOTING)
    proposal = make_proposal(cycle)
    db.session.commit()
    login_as()
    path = f"/proposals/{proposal.id}"
    assert client.post(f"{path}/support").status_code == 400
    client.post(f"{path}/support", data={"csrf_token": csrf_token(client, path)})
    assert count(db, Support) == 0


def test_followers_are_notified_of_status_changes(client, db, login_as, setting):
    cycle, _district, category = setting
    proposal = make_proposal(cycle, category=category)
    db.session.commit()
    follower = login_as(locale="en")
    path = f"/proposals/{proposal.id}"
    client.post(f"{path}/follow", data={"csrf_token": csrf_token(client, path), "by_email": "y"})
    official = make_user(Role.OFFICIAL)
    change_status(official, proposal, ProposalStatus.NOT_FEASIBLE, reason="Terrain privé.")
    db.session.commit()
    [note] = db.session.scalars(select(Notification).where(Notification.user_id == follower.id)).all()
    assert "Not feasible" in note.message and "Terrain privé." in note.message
    page = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert "Terrain privé." in page
    from tests.conftest import outbox_to

    assert len(outbox_to(follower.email)) == 1


def test_listing_search_filters_and_sorts(client, db):
    wazemmes, fives = make_district("Wazemmes"), make_district("Fives")
    mobility, nature = make_category("Mobilité"), make_category("Nature")
    cycle = make_cycle()
    other_cycle = make_cycle()
    bike = make_proposal(cycle, title="Pistes cyclables rue Solférino", body="Des vélos partout en ville.",
                         district=wazemmes, category=mobility, supports_count=3)
    trees = make_proposal(cycle, title="Des arbres place Degeyter", body="Plus de nature à Fives.",
                          district=fives, category=nature, supports_count=9)
    make_proposal(cycle, title="Brouillon secret", status=ProposalStatus.DRAFT)
    make_proposal(other_cycle, title="Vélo ailleurs")
    db.session.commit()

    def titles(query):
        html = client.get("/proposals/?" + query).get_data(as_text=True)
        return [t for t in ("Pistes cyclables", "Des arbres", "Brouillon secret", "Vélo ailleurs") if t in html]

    assert titles(f"cycle={cycle.slug}") == ["Pistes cyclables", "Des arbres"]
    assert titles("q=velo") == ["Pistes cyclables", "Vélo ailleurs"]
    assert titles("q=piste+cyclable") == ["Pistes cyclables"]
    assert titles(f"district={fives.id}") == ["Des arbres"]
    assert titles(f"category={mobility.id}&cycle={cycle.slug}") == ["Pistes cyclables"]
    html = client.get(f"/proposals/?cycle={cycle.slug}&sort=supported").get_data(as_text=True)
    assert html.index("Des arbres") < html.index("Pistes cyclables")
    assert client.get("/proposals/?district=notanumber").status_code == 400
    assert client.get("/proposals/?sort=evil").status_code == 400
    assert client.get("/proposals/?page=-3").status_code == 200
    assert bike.id and trees.id


def test_random_order_is_stable_for_a_visitor(client, db):
    cycle = make_cycle()
    for i in range(30):
        make_proposal(cycle, title=f"Idée numéro {i:02d}")
    db.session.commit()
    def order() -> list[str]:  # the titles in the order shown (the rest of the page, its CSRF token, may differ)
        html = client.get(f"/proposals/?cycle={cycle.slug}&sort=random").get_data(as_text=True)
        return re.findall(r"Idée numéro \d\d", html)

    first = order()
    assert len(first) >= 10 and first == order()


def test_listing_query_count_is_bounded(app, client, db):
    from sqlalchemy import event

    cycle = make_cycle()
    proposals = [make_proposal(cycle, title=f"Idée {i}", district=make_district(), category=make_category())
                 for i in range(45)]
    db.session.commit()
    statements = []

    def count_statement(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        for path in [f"/proposals/?cycle={cycle.slug}", "/proposals/?q=idee", f"/proposals/{proposals[0].id}",
                     f"/proposals/?cycle={cycle.slug}&page=2&sort=supported"]:
            statements.clear()
            assert client.get(path).status_code == 200
            assert len(statements) <= 15, (path, len(statements))
    finally:
        event.remove(db.engine, "before_cursor_execute", count_statement)


def test_map_page_lists_located_proposals(client, db):
    cycle = make_cycle()
    make_proposal(cycle, title="Banc place Rihour", latitude=50.6365, longitude=3.0635)
    make_proposal(cycle, title="Sans lieu")
    db.session.commit()
    html = client.get(f"/proposals/map?cycle={cycle.slug}").get_data(as_text=True)
    assert "Banc place Rihour" in html and "Sans lieu" not in html
    assert 'data-lat="50.6365"' in html


def test_a_hidden_proposal_leaves_listings_map_images_supports_and_follows(client, db, login_as):
    from app.core.clock import utcnow

    cycle = make_cycle()
    proposal = make_proposal(cycle, title="Cachée par la modération", latitude=50.63, longitude=3.06)
    proposal.images.append(ProposalImage(position=0, token="tok-hidden", content_type="image/png", width=1, height=1,
                                         data=png_bytes()))
    proposal.hidden_at, proposal.hidden_reason = utcnow(), "insult"
    db.session.commit()
    assert "Cachée par la modération" not in client.get(f"/proposals/?cycle={cycle.slug}").get_data(as_text=True)
    assert "Cachée par la modération" not in client.get(f"/proposals/map?cycle={cycle.slug}").get_data(as_text=True)
    assert client.get("/proposals/images/tok-hidden").status_code == 404
    login_as()
    path = f"/proposals/{proposal.id}"
    client.post(f"{path}/support", data={"csrf_token": csrf_token(client, "/")})
    client.post(f"{path}/follow", data={"csrf_token": csrf_token(client, "/")})
    assert count(db, Support) == 0 and count(db, Follow) == 0
