"""Secrecy beyond the ballot tables: no other table points at a ballot, no log line or audit entry holds the
choices, and no page an official or an agent can reach tells how someone voted."""

import html as html_lib
import json
import logging
import re
from collections import deque

import pytest
from sqlalchemy import inspect, select

from app.accounts.models import Role
from app.core import clock
from app.core.models import AuditEntry
from app.extensions import db as _db
from app.voting import services
from app.voting.models import Ballot, VoteChannel
from tests.conftest import login
from tests.factories import make_user
from tests.voting.conftest import ids, later, make_voting_city
from tests.voting.test_voting_views import EN, ballot_data, post, receipt_in

MAX_PAGES = 150
SKIPPED_PATHS = ("/logout", "/accounts/logout", "/static/", "/vendor/", "/language")


@pytest.fixture
def voted(db, client):
    """A city where two residents with distinctive names voted through the pages (one changed their ballot with
    the receipt) and an agent recorded a phone vote. Returns what would give a ballot away."""
    city = make_voting_city()
    alice = make_user(district=city.district, display_name="Zoé Secretvoter", email="zoe.secretvoter@example.org")
    bob = city.voter
    bob.display_name, bob.email = "Bastien Hiddenballot", "bastien.hiddenballot@example.org"
    phoned = make_user(district=city.district, display_name="Paulette Phonevote", email="paulette@example.org")
    agent = make_user(Role.AGENT)
    db.session.commit()
    secrets_ = {"receipts": [], "chosen": {}}
    for voter, city_items, district_items in ((alice, city.city_items[:2], city.district_items[:1]),
                                              (bob, city.city_items[3:5], city.district_items[2:3])):
        login(client, voter)
        response = post(client, f"/vote/{city.slug}/confirm", ballot_data(city, city_items, district_items))
        assert response.status_code == 200
        secrets_["receipts"].append(receipt_in(response.get_data(as_text=True)))
        secrets_["chosen"][voter.id] = (voter, [i.title for i in city_items + district_items])
    # Bob changes his mind with his receipt code.
    login(client, bob)
    changed = city.city_items[5:6]
    response = post(client, f"/vote/{city.slug}/confirm",
                    ballot_data(city, changed, city.district_items[2:3], receipt=secrets_["receipts"][1]))
    assert response.status_code == 302
    secrets_["chosen"][bob.id] = (bob, [i.title for i in changed + city.district_items[2:3]])
    services.cast(agent, city.cycle,
                  {None: ids(city.city_items[2:3]), city.district.id: ids(city.district_items[1:2])},
                  channel=VoteChannel.PHONE, voter=services.voter_for_account(phoned))
    secrets_["chosen"][phoned.id] = (phoned, [city.city_items[2].title, city.district_items[1].title])
    db.session.commit()
    secrets_["ballots"] = [(b.id, b.receipt_hash) for b in db.session.scalars(select(Ballot))]
    secrets_["city"] = city
    return secrets_


def tokens(voted) -> list[str]:
    """Strings that identify a ballot: its id, its receipt hash, a receipt code."""
    return [value for pair in voted["ballots"] for value in pair] + voted["receipts"]


# --- Schema ----------------------------------------------------------------------------------------------------------

def test_no_table_but_the_choices_points_at_a_ballot(db):
    """No participation, census entry, voting code or paper-ballot record may refer to a ballot."""
    inspector = inspect(_db.session.connection())
    pointing = {table for table in inspector.get_table_names()
                for fk in inspector.get_foreign_keys(table) if fk["referred_table"] == "ballot"}
    assert pointing == {"ballot_choice"}
    named = {table for table in inspector.get_table_names() if table not in ("ballot", "ballot_choice")
             for column in inspector.get_columns(table) if "ballot_id" in column["name"]}
    assert named == set()


# --- Logs and audit --------------------------------------------------------------------------------------------------

def test_no_log_line_holds_a_choice_or_a_receipt(db, client, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="sqlalchemy")  # SQL echo is an operator's debugging switch, off here
    city = make_voting_city()
    voter = make_user(district=city.district)
    db.session.commit()
    login(client, voter)
    chosen = (city.city_items[1:3], city.district_items[:1])
    assert post(client, f"/vote/{city.slug}/review", ballot_data(city, *chosen)).status_code == 200
    response = post(client, f"/vote/{city.slug}/confirm", ballot_data(city, *chosen))
    code = receipt_in(response.get_data(as_text=True))
    assert post(client, f"/vote/{city.slug}/confirm",
                ballot_data(city, city.city_items[4:5], city.district_items[:1], receipt=code)).status_code == 302
    ballots = list(db.session.scalars(select(Ballot)))
    forbidden = [code, code.replace("-", ""), *(b.id for b in ballots), *(b.receipt_hash for b in ballots),
                 *(item.title for item in city.city_items + city.district_items),
                 repr(ids(city.city_items[1:3])), repr(ids(city.city_items[4:5]))]
    for record in caplog.records:
        line = record.getMessage() + repr(record.args)
        assert not [text for text in forbidden if text in line], line


def test_no_audit_entry_holds_the_choices(voted, db):
    titles = {title for _voter, chosen in voted["chosen"].values() for title in chosen}
    entries = db.session.scalars(select(AuditEntry)).all()
    assert any(entry.action == "vote.recorded" for entry in entries)  # the phone vote: who entered it, for whom
    for entry in entries:
        assert entry.target_type not in ("ballot", "ballot_choice", "ballot_item")
        details = json.loads(entry.details) if entry.details else {}
        assert not {"choices", "chosen", "projects", "ballot", "receipt", "code", "grades", "points"} & set(details)
        flat = entry.details + entry.target_id
        assert not [text for text in [*tokens(voted), *titles] if text in flat], entry.details


# --- Staff pages -----------------------------------------------------------------------------------------------------

def crawl(client, starts) -> dict[str, str]:
    """Every page reachable by GET links from ``starts`` (same site, at most MAX_PAGES): path -> text."""
    seen, pages, queue = set(starts), {}, deque(starts)
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        response = client.get(path, headers=EN)
        assert response.status_code < 500, path
        if response.status_code != 200 or not response.mimetype.startswith(("text/", "application/json")):
            continue
        body = response.get_data(as_text=True)
        pages[path] = body
        if response.mimetype != "text/html":
            continue
        for link in re.findall(r'href="(/[^"#]*)', body):
            link = html_lib.unescape(link)
            if link not in seen and not link.startswith(SKIPPED_PATHS):
                seen.add(link)
                queue.append(link)
    return pages


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.AGENT])
@pytest.mark.parametrize("moment", ["voting", "closed"])
def test_staff_pages_never_show_how_someone_voted(voted, client, monkeypatch, role, moment):
    if moment == "closed":
        monkeypatch.setattr(clock, "_now", later(16))
    login(client, make_user(role))
    _db.session.commit()
    slug = voted["city"].slug
    # The home page, the voting pages (not all linked yet) and a search for each voter among the accounts.
    starts = ["/", f"/vote/{slug}", f"/vote/{slug}/rules", f"/vote/{slug}/receipt", f"/vote/{slug}/ballots.csv",
              "/admin/audit?action=vote.recorded",
              *(f"/admin/users?q={voter.email}" for voter, _chosen in voted["chosen"].values())]
    pages = crawl(client, starts)
    assert len(pages) > 25  # the crawl reached the staff pages
    if role == Role.OFFICIAL:
        assert {"/admin/audit", f"/vote/{slug}/rules", "/review/"} <= set(pages)
    for path, body in pages.items():
        assert not [text for text in tokens(voted) if text in body], path
        for voter, chosen in voted["chosen"].values():
            if voter.display_name in body or voter.email in body:
                # A page may say who voted (the register), never next to what they chose.
                assert not [title for title in chosen if title in body], (path, voter.display_name)
