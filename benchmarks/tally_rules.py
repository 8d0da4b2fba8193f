"""Time every rule on the larger shared pabulib files: our app/tally against the reference (pabutools 1.2.3).

    .venv/bin/python benchmarks/tally_rules.py [--reference {run,expected}] [--limit SECONDS] [--files A,B]
                                               [--rules R1,R2]

CPU seconds (time.process_time), two figures each: the rule call alone, and the whole process from file to
winners (reading and parsing the file, grouping identical ballots, plus the rule; interpreter start-up left out).
As the reference's rule call starts from its "multiprofile" (pabutools' ``as_multiprofile()``, timed apart, as
``expected.json``'s ``approval_view_and_multiprofile``), ours starts from the election's voter groups
(``Election.approval_groups``), built once per file and timed with the reading. BLAS runs on one thread
(``OPENBLAS_NUM_THREADS=1``): its helper threads would count their spinning as CPU time. As ``expected.json``'s
reference times are, a rule call under a second is timed as the best of up to 5 runs. The reference runs in its own
virtualenv, ``benchmarks/out/pabutools-venv`` (pabutools is GPL-3.0: never a dependency of the application;
created on first use), one subprocess per (file, rule) with a time limit. Where it is not run (``--reference
expected``, over the limit, out of memory, or a rule it has no function for: ``greedy-points``, ``*-last``,
``city``; add1 unless ``--reference-add1``), the table uses the wall seconds that ``expected.json`` recorded,
marked ``(json)``; ``-`` where neither exists. ``ratio`` is reference / ours (rule call); ``ok`` compares our
winners with expected.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported (see the docstring)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "pabulib"
OUT = ROOT / "benchmarks" / "out"
REF_VENV = OUT / "pabutools-venv"

LARGER = [
    "Poland_Warszawa_2026.pb",
    "Poland_Wroclaw_2020.pb",
    "Poland_Krakow_2020.pb",
    "Poland_Katowice_2023.pb",
    "Netherlands_Amsterdam_621.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
    "US_Stanford_Dataset_PB_Cambridge_2017_vote_approvals.pb",
    "France_Toulouse_2022.pb",
    "Poland_Warszawa_2023_Bemowo.pb",
    "Poland_Lodz_2024_Radogoszcz.pb",
    "Poland_Krakow_2022_Pradnik_Czerwony.pb",
    "Hungary_Budapest_2023_VIII_Jozsefvaros.pb",
    "Worldwide_Mechanical_Turk_k_approval_7.pb",
]

REFERENCE_SCRIPT = r"""
import json, sys, time
t0 = time.process_time()
from pabutools.election import parse_pabulib, ApprovalProfile, ApprovalBallot, Cost_Sat, Cardinality_Sat
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
path, rule = sys.argv[1], sys.argv[2]
instance, profile = parse_pabulib(path)
approval = ApprovalProfile([ApprovalBallot(list(b)) for b in profile], instance=instance)
mp = approval.as_multiprofile()
t1 = time.process_time()
base, *parts = rule.split("+")
sat = Cost_Sat if base == "mes-cost" else Cardinality_Sat
if base == "greedy":
    out = greedy_utilitarian_welfare(instance, mp, sat_class=Cost_Sat)
elif base == "greedy-per-cost":
    out = greedy_utilitarian_welfare(instance, mp, sat_class=Cardinality_Sat)
else:
    kw = {"voter_budget_increment": 1} if "add1" in parts else {}
    out = method_of_equal_shares(instance, mp, sat_class=sat, **kw)
    if "greedy" in parts:
        out = greedy_utilitarian_welfare(instance, mp, sat_class=Cost_Sat, initial_budget_allocation=out)
t2 = time.process_time()
print(json.dumps({"winners": sorted(str(p.name) for p in out), "rule": t2 - t1, "total": t2 - t0}))
"""

REFERENCE_RULES = {"greedy", "greedy-per-cost", "mes", "mes-cost", "mes+greedy", "mes-cost+greedy", "mes+add1",
                   "mes-cost+add1", "mes+add1+greedy", "mes-cost+add1+greedy"}


def ensure_reference() -> Path:
    python = REF_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(REF_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pabutools==1.2.3", "gmpy2"], check=True)
    return python


def run_reference(python: Path, path: Path, rule: str, limit: float) -> dict:
    try:
        done = subprocess.run([str(python), "-c", REFERENCE_SCRIPT, str(path), rule], capture_output=True,
                              text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"error": f"> {limit:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": "memory" if "MemoryError" in last else last[:40]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def json_timing(entry: dict, rule: str) -> str | float:
    t = entry.get("timing", {}).get(rule)
    if isinstance(t, dict) and "seconds" in t:
        return float(t["seconds"])
    if isinstance(t, dict) and t.get("memory_error"):
        return "out of memory"
    if isinstance(t, dict) and "timeout" in t:
        return f"> {t['timeout']} s"
    return "-"


class OverTime(Exception):
    pass


def _over_time(signum, frame):
    raise OverTime


def main() -> int:
    signal.signal(signal.SIGPROF, _over_time)
    from app.tally import pabulib, run

    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", choices=("run", "expected"), default="run")
    parser.add_argument("--limit", type=float, default=120.0, help="reference time limit per (file, rule)")
    parser.add_argument("--files", default=",".join(LARGER))
    parser.add_argument("--rules", default="")
    parser.add_argument("--our-limit", type=float, default=0, help="CPU seconds after which our rule is stopped")
    parser.add_argument("--reference-add1", action="store_true",
                        help="also run the reference's add1 (100 s to 500 s+ each on the larger files)")
    args = parser.parse_args()
    expected = json.loads((SHARED / "expected.json").read_text())
    python = ensure_reference() if args.reference == "run" else None
    rows = []
    header = ("file", "voters", "projects", "rule", "reference s", "ours s", "ratio", "ours whole s", "ok")
    print(" | ".join(header), flush=True)
    for name in args.files.split(","):
        entry = expected[name]
        path = SHARED / name
        t0 = time.process_time()
        election = pabulib.read(path).election
        election.approval_groups  # noqa: B018 -- the multiprofile, timed with the reading as the reference's is
        read_s = time.process_time() - t0
        rules = args.rules.split(",") if args.rules else list(entry["rules"])
        for rule in rules:
            t0 = time.process_time()
            if args.our_limit:
                signal.setitimer(signal.ITIMER_PROF, args.our_limit)
            try:
                outcome = run(rule, election)
            except OverTime:
                outcome = None
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
            ours = time.process_time() - t0
            for _ in range(4 if outcome is not None and ours < 1 else 0):  # as the reference: best of up to 5
                t0 = time.process_time()
                run(rule, election)
                ours = min(ours, time.process_time() - t0)
            want = entry["rules"].get(rule)
            if outcome is None:
                ok = f"stopped > {args.our_limit:.0f} s"
            else:
                ok = "n/a" if want is None else ("yes" if list(outcome.winners) == sorted(want) else "NO")
            ref: str | float = "-"
            note = ""
            if python is not None and rule in REFERENCE_RULES and (args.reference_add1 or "add1" not in rule):
                res = run_reference(python, path, rule, args.limit)
                if "error" in res:
                    note = res["error"]
                else:
                    ref = res["rule"]
                    if want is not None and res["winners"] != sorted(want):
                        note = "reference differs from json"
            if not isinstance(ref, float):
                fallback = json_timing(entry, rule)
                if isinstance(fallback, float):
                    ref = fallback
                    note = (note + " " if note else "") + "(json)"
                else:
                    ref = note or fallback
                    note = ""
            ratio = f"{ref / ours:.0f}x" if isinstance(ref, float) and ours > 0 else "-"
            ref_text = f"{ref:.3f} {note}".strip() if isinstance(ref, float) else str(ref)
            row = (name.removesuffix(".pb"), str(len(election.ballots)), str(len(election.projects)), rule, ref_text,
                   f"{ours:.3f}", ratio, f"{ours + read_s:.3f}", ok)
            rows.append(row)
            print(" | ".join(row), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tally_rules.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
