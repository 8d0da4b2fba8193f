"""Voters grouped by identical approvals: the view of an election that the MES rules count from.

Built once per election (:attr:`app.tally.model.Election.approval_groups`) and shared by every rule run on it, as
the reference library's rules start from a "multiprofile" built beforehand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import chain

import numpy as np


@dataclass(frozen=True, eq=False)
class ApprovalGroups:
    ids: list[str]  # project ids, in the election's order
    weights: np.ndarray  # voters per group (int64)
    incidence: np.ndarray  # project x group, 1.0 where the group approves the project (float32, rows contiguous)
    sup_arrays: list[np.ndarray]  # per project: its supporting groups, in increasing order
    sup_weights: list[np.ndarray]  # their numbers of voters (float64, for bincount and dot products)
    support_totals: list[int]  # per project: number of supporters
    n_voters: int

    @property
    def n_groups(self) -> int:
        return len(self.weights)

    @classmethod
    def of(cls, election) -> ApprovalGroups:
        ids = [p.id for p in election.projects]
        index = {pid: i for i, pid in enumerate(ids)}
        per_object = Counter(map(id, election.ballots))  # the reader shares one object per distinct ballot
        objects = {id(b): b for b in election.ballots}
        counts: dict[frozenset[str], int] = {}
        seen = counts.get
        for oid, n in per_object.items():
            approved = objects[oid].approved()
            if approved:
                counts[approved] = seen(approved, 0) + n
        weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        sizes = np.fromiter(map(len, counts), dtype=np.int64, count=len(counts))
        rows = np.repeat(np.arange(len(counts), dtype=np.int64), sizes)
        columns = np.fromiter(map(index.__getitem__, chain.from_iterable(counts)), dtype=np.int64,
                              count=int(sizes.sum()))
        # per project its supporting groups in increasing order: the rows sorted by project (stable)
        by_project = rows[np.argsort(columns, kind="stable")]
        sup_arrays = np.split(by_project, np.cumsum(np.bincount(columns, minlength=len(ids)))[:-1]) if ids else []
        incidence = np.zeros((len(ids), len(counts)), dtype=np.float32)
        incidence[columns, rows] = 1.0
        return cls(
            ids=ids,
            weights=weights,
            incidence=incidence,
            sup_arrays=sup_arrays,
            sup_weights=[weights[a].astype(np.float64) for a in sup_arrays],
            support_totals=[int(weights[a].sum()) for a in sup_arrays],
            n_voters=len(election.ballots),
        )
