"""Search that finds "velo" for "vélo" and "pistes cyclables" for "piste cyclable", on SQLite and PostgreSQL.

Text is reduced to accent-free, lower-case words with a light French/English plural stemming, stored in
``proposal.search_text`` and indexed by FTS5 (SQLite) or a GIN index (PostgreSQL). Queries are reduced the same way.
"""

import re
import unicodedata

from sqlalchemy import func, select, text

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
