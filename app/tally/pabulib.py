"""Reading and writing the pabulib format (https://pabulib.org/format): META, PROJECTS and VOTES sections.

``read(path_or_text)`` returns an :class:`Election` plus the PROJECTS and VOTES rows as read (for columns such as
``selected`` or ``votes``); ``write(election, ...)`` returns the text of a file that ``pabulib-checker`` accepts.
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .model import (
    ApprovalBallot,
    Ballot,
    CumulativeBallot,
    Election,
    GradeBallot,
    OrdinalBallot,
    Project,
    TallyError,
    _ballot_ids,
)


@dataclass(frozen=True)
class PabulibFile:
    election: Election
    meta: dict[str, str]
    projects: list[dict[str, str]] = field(default_factory=list)  # PROJECTS rows as read
    votes: list[dict[str, str]] = field(default_factory=list)  # VOTES rows as read (only when keep_votes=True)

    def selected(self) -> frozenset[str] | None:
        """The city's official outcome (``selected`` column), or None when the file has none."""
        if not self.projects or "selected" not in self.projects[0]:
            return None
        return frozenset(row["project_id"] for row in self.projects if row.get("selected", "").strip() == "1")


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise TallyError("bad-number", f"{what}: not a number: {text!r}", value=text)
    if not value.is_finite() or value < 0:
        raise TallyError("bad-number", f"{what}: not a non-negative number: {text!r}", value=text)
    return value


def _scale_for(values: Iterable[Decimal]) -> int:
    digits = 0
    for v in values:
        v = v.normalize()
        exponent = v.as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            digits = max(digits, -exponent)
    return 10**digits


def read(source: str | Path, *, keep_votes: bool = False) -> PabulibFile:
    """Read a pabulib file (a path, or the text itself when it contains a newline)."""
    from_file = isinstance(source, Path) or "\n" not in source
    text = Path(source).read_text(encoding="utf-8-sig") if from_file else source
    return parse(text, keep_votes=keep_votes)


def parse(text: str, *, keep_votes: bool = False) -> PabulibFile:
    """The election (and rows) of a pabulib text. The cyclic garbage collector is paused meanwhile: a large file
    builds tens of thousands of ballots, none of them cyclic, and collecting as they pile up costs a third."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(text, keep_votes)
    finally:
        if enabled:
            gc.enable()


def _parse(text: str, keep_votes: bool) -> PabulibFile:
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")), delimiter=";"):
        if len(row) < 2:  # a section's name, or a blank line
            head = row[0].strip().upper() if row else ""
            if not head:
                continue
            if head in ("META", "PROJECTS", "VOTES"):
                current = sections.setdefault(head, [])
                continue
        if current is None:
            raise TallyError("bad-pabulib", "the file must start with a META section")
        current.append(row)
    for name in ("META", "PROJECTS", "VOTES"):
        if name not in sections or not sections[name]:
            raise TallyError("bad-pabulib", f"the {name} section is missing", section=name)

    meta = {r[0].strip(): (r[1].strip() if len(r) > 1 else "") for r in sections["META"][1:]}
    p_head = [h.strip() for h in sections["PROJECTS"][0]]
    project_rows = [dict(zip(p_head, (c.strip() for c in r), strict=False)) for r in sections["PROJECTS"][1:]]
    if "project_id" not in p_head or "cost" not in p_head:
        raise TallyError("bad-pabulib", "PROJECTS needs project_id and cost columns")
    if "budget" not in meta:
        raise TallyError("bad-pabulib", "META needs a budget")
    costs = [_decimal(r["cost"], f"cost of project {r['project_id']}") for r in project_rows]
    budget = _decimal(meta["budget"], "budget")
    scale = _scale_for([*costs, budget])
    projects = tuple(
        Project(r["project_id"], int(c * scale), r.get("name", "")) for r, c in zip(project_rows, costs, strict=True)
    )
    vote_type = meta.get("vote_type", "approval").strip()
    if vote_type == "scoring":
        vote_type = "grades"
    max_length = None
    if meta.get("max_length", "").strip():
        max_length = int(Decimal(meta["max_length"]))

    v_head = [h.strip() for h in sections["VOTES"][0]]
    try:
        vote_col = v_head.index("vote")
    except ValueError:
        raise TallyError("bad-pabulib", "VOTES needs a vote column")
    points_col = v_head.index("points") if "points" in v_head else None
    ballots: list[Ballot] = []
    rows: list[dict[str, str]] = []
    cache: dict = {}  # identical ballots share one object (thousands of duplicates): by vote (and points) as written
    for r in sections["VOTES"][1:]:
        vote = r[vote_col] if vote_col < len(r) else ""
        pts = r[points_col].strip() if points_col is not None and points_col < len(r) else ""
        key = vote if points_col is None else (vote, pts)
        ballot = cache.get(key)
        if ballot is None:
            ids = tuple(v.strip() for v in vote.split(",") if v.strip())
            if vote_type in ("approval", "choose-1"):
                ballot = ApprovalBallot(frozenset(ids))
            elif vote_type == "ordinal":
                ballot = OrdinalBallot(ids)
            elif vote_type in ("cumulative", "grades"):
                nums = [int(Decimal(x)) for x in pts.split(",") if x.strip()] if pts else [1] * len(ids)
                if len(nums) != len(ids):
                    raise TallyError("bad-pabulib", "a vote and its points differ in length")
                pairs = tuple(zip(ids, nums, strict=True))
                ballot = CumulativeBallot(pairs) if vote_type == "cumulative" else GradeBallot(pairs)
            else:
                raise TallyError("bad-vote-type", f"unknown vote type {vote_type!r}", vote_type=vote_type)
            cache[key] = ballot
        ballots.append(ballot)
        if keep_votes:
            rows.append(dict(zip(v_head, r, strict=False)))
    election = Election(
        projects=projects,
        budget=int(budget * scale),
        ballots=tuple(ballots),
        vote_type=vote_type,
        scale=scale,
        max_length=max_length,
        meta=meta,
    )
    return PabulibFile(election=election, meta=meta, projects=project_rows, votes=rows)


def _money(units: int, scale: int) -> str:
    if scale == 1:
        return str(units)
    value = Decimal(units) / Decimal(scale)
    return format(value.quantize(Decimal(1) / Decimal(scale)), "f")


def write(
    election: Election,
    *,
    meta: Mapping[str, str] | None = None,
    project_columns: Mapping[str, Mapping[str, str]] | None = None,
    voter_ids: Iterable[str] | None = None,
    selected: Iterable[str] | None = None,
) -> str:
    """The pabulib text of an election (CRLF-free, UTF-8 text; write it with ``newline=""`` or as bytes).

    ``meta`` adds or overrides META lines (description, country, unit, instance, date_begin, date_end, ...);
    ``project_columns`` maps a project id to extra PROJECTS columns (e.g. ``{"category": "..."}``); ``selected``
    the funded projects. Empty ballots cannot be written (pabulib has no blank vote): they are left out, and
    ``num_votes`` counts the ballots written.
    """
    keep = [i for i, b in enumerate(election.ballots) if _ballot_ids(b)]
    ballots = [election.ballots[i] for i in keep]
    votes_col = election.approval_counts()
    today = date.today().strftime("%d.%m.%Y")  # pabulib wants dates; callers pass the real ones in ``meta``
    m: dict[str, str] = {
        "description": "Budget Commun",
        "country": "",
        "unit": "",
        "instance": "",
        "num_projects": str(len(election.projects)),
        "num_votes": str(len(ballots)),
        "budget": _money(election.budget, election.scale),
        "vote_type": election.vote_type if election.vote_type != "grades" else "scoring",
        "rule": "unknown",
        "date_begin": today,
        "date_end": today,
    }
    if election.max_length is not None:
        m["max_length"] = str(election.max_length)
    elif election.vote_type == "ordinal" and ballots:
        m["max_length"] = str(max(len(_ballot_ids(b)) for b in ballots))
    if election.vote_type == "cumulative" and ballots:
        m["max_sum_points"] = str(max(sum(n for _, n in b.points) for b in ballots))
    m.update({k: v for k, v in election.meta.items() if k not in m or not m[k]})
    m.update(meta or {})
    m["num_projects"] = str(len(election.projects))
    m["num_votes"] = str(len(ballots))
    m["budget"] = _money(election.budget, election.scale)

    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(["META"])
    w.writerow(["key", "value"])
    for k, v in m.items():
        w.writerow([k, v])
    extra_cols: list[str] = []
    for cols in (project_columns or {}).values():
        extra_cols += [c for c in cols if c not in extra_cols and c not in ("project_id", "cost", "votes", "name")]
    chosen = None if selected is None else frozenset(selected)
    w.writerow(["PROJECTS"])
    head = ["project_id", "cost", "votes", "name", *extra_cols] + (["selected"] if chosen is not None else [])
    w.writerow(head)
    for p in election.projects:
        extra = (project_columns or {}).get(p.id, {})
        row = [p.id, _money(p.cost, election.scale), str(votes_col[p.id]), p.name or p.id]
        row += [extra.get(c, "") for c in extra_cols]
        if chosen is not None:
            row.append("1" if p.id in chosen else "0")
        w.writerow(row)
    w.writerow(["VOTES"])
    has_points = election.vote_type in ("cumulative", "grades")
    w.writerow(["voter_id", "vote", "points"] if has_points else ["voter_id", "vote"])
    all_ids = list(voter_ids) if voter_ids is not None else [str(i + 1) for i in range(len(election.ballots))]
    if len(all_ids) != len(election.ballots):
        raise TallyError("bad-voter-ids", "one voter id per ballot is needed")
    ids = [all_ids[i] for i in keep]
    for vid, ballot in zip(ids, ballots, strict=True):
        if isinstance(ballot, ApprovalBallot):
            w.writerow([vid, ",".join(sorted(ballot.projects))])
        elif isinstance(ballot, OrdinalBallot):
            w.writerow([vid, ",".join(ballot.ranking)])
        else:
            pairs = ballot.points if isinstance(ballot, CumulativeBallot) else ballot.grades
            w.writerow([vid, ",".join(p for p, _ in pairs), ",".join(str(n) for _, n in pairs)])
    return out.getvalue()
