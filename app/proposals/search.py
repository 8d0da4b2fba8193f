"""Search that finds "velo" for "vélo" and "pistes cyclables" for "piste cyclable", on SQLite and PostgreSQL.

Text is reduced to accent-free, lower-case words with a light French/English plural stemming, stored in
``proposal.search_text`` and indexed by FTS5 (SQLite) or a GIN index (PostgreSQL). Queries are reduced the same way.
"""

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import BigInteger, cast, func, select, text
from sqlalchemy.orm import defer, lazyload

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"le", "la", "les", "de", "des", "du", "un", "une", "et", "a", "au", "aux", "en", "the", "of", "and", "d", "l"}


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")


def stem(word: str) -> str:
    """Light stemming: plural endings only, so that a word and its plural meet."""
    if len(word) > 4 and word.endswith("aux"):
        return word[:-3] + "al"  # canaux -> canal, locaux -> local
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def words(value: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(_fold(value or "")) if w not in _STOP]


def normalise(*parts: str) -> str:
    return " ".join(words(" ".join(p for p in parts if p)))


def query_terms(query: str, limit: int = 8) -> list[str]:
    return words(query)[:limit]


def search_clause(proposal_table, query: str, dialect: str):
    """A WHERE clause matching proposals whose text has every word of ``query`` (the last one as a prefix)."""
    terms = query_terms(query)
    if not terms:
        return None
    if dialect == "sqlite":
        match = " ".join(f'"{t}"' for t in terms[:-1]) + (" " if len(terms) > 1 else "") + f'"{terms[-1]}"*'
        ids = select(text("rowid")).select_from(text("proposal_fts")).where(text("proposal_fts MATCH :fts_query"))
        return proposal_table.c.id.in_(ids.params(fts_query=match))
    tsquery = " & ".join(terms[:-1] + [f"{terms[-1]}:*"])
    return func.to_tsvector("simple", proposal_table.c.search_text).op("@@")(
        func.to_tsquery("simple", tsquery)
    )


PER_PAGE = 20
COUNT_CAP = 1000


@dataclass
class Listing:
    items: list
    page: int
    has_next: bool
    total: int  # capped at COUNT_CAP + 1: "more than 1,000"

    @property
    def total_capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def listing_conditions(session, *, cycle_id=None, q="", district_id=None, category_id=None, status=None,
                       statuses=None) -> list:
    """The WHERE clauses of the public listing's filters (the web page and the API share them). ``district_id``
    -1 means proposals for the whole city."""
    from app.cycles.models import CITY_CYCLE_IDS
    from app.proposals.models import Proposal

    conditions = [Proposal.hidden_at.is_(None),  # hidden by moderation: out of every listing
                  Proposal.cycle_id.in_(CITY_CYCLE_IDS)]  # a school's ideas stay in school
    if statuses:
        conditions.append(Proposal.status.in_(statuses))
    if status:
        conditions.append(Proposal.status == status)
    if cycle_id:
        conditions.append(Proposal.cycle_id == cycle_id)
    if district_id == -1:
        conditions.append(Proposal.district_id.is_(None))
    elif district_id:
        conditions.append(Proposal.district_id == district_id)
    if category_id:
        conditions.append(Proposal.category_id == category_id)
    clause = search_clause(Proposal.__table__, q, session.get_bind().dialect.name) if q else None
    if clause is not None:
        conditions.append(clause)
    return conditions


def listing_order(sort: str, seed: int = 1) -> tuple:
    """The listing's order; every order ends with the id, so that pages never overlap."""
    from app.proposals.models import Proposal

    if sort == "supported":
        return (Proposal.supports_count.desc(), Proposal.id.desc())
    if sort == "random":
        # A stable shuffle per visitor: (id * a + seed) mod a large prime, with the seed kept in the session.
        shuffled = (cast(Proposal.id, BigInteger) * 2654435761 + seed) % 4294967291
        return (shuffled, Proposal.id)
    if sort == "oldest":
        return (Proposal.id.asc(),)
    return (Proposal.id.desc(),)  # newest first: ids grow with time, and every listing index ends with id


def listing(session, *, cycle_id=None, q="", district_id=None, category_id=None, status=None, sort="newest",
            seed: int = 1, page: int = 1, statuses=None) -> Listing:
    """One page of public proposals with bounded work: a capped count and a LIMIT/OFFSET page (3 queries at most)."""
    from app.proposals.models import Proposal

    conditions = listing_conditions(session, cycle_id=cycle_id, q=q, district_id=district_id,
                                    category_id=category_id, status=status, statuses=statuses)
    count_query = select(func.count()).select_from(
        select(Proposal.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    )
    total = session.scalar(count_query)
    order = listing_order(sort, seed)
    page = max(1, min(page, COUNT_CAP))
    # Ids first, on the proposal table alone, so the database can walk an index in order and stop early;
    # then the page's rows with what they show (category, district, author) in one query.
    ids = session.scalars(
        select(Proposal.id).where(*conditions).order_by(*order).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ).all()
    shown = ids[:PER_PAGE]
    page_query = select(Proposal).where(Proposal.id.in_(shown)).options(
        lazyload(Proposal.cycle), defer(Proposal.body_html), defer(Proposal.search_text), defer(Proposal.staff_notes)
    )
    rows = {p.id: p for p in session.scalars(page_query).unique()} if shown else {}
    return Listing(items=[rows[i] for i in shown], page=page, has_next=len(ids) > PER_PAGE, total=total)
