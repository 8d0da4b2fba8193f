"""Time the "largest cost at which it would have been funded" for every losing project: the definition (bisection
of full runs, ``max_funded_cost_by_bisection``) against ``max_funded_cost``; both must give the same answers.

    .venv/bin/python benchmarks/tally_max_costs.py [--files A,B] [--rules R1,R2] [--limit SECONDS]

CPU seconds (time.process_time) over all losing projects. The definition stops after ``--limit`` seconds (default
120): its figure is then ``>limit`` and only the projects it finished are compared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "pabulib"

from app.tally import pabulib, run  # noqa: E402
from app.tally.explain import max_funded_cost, max_funded_cost_by_bisection  # noqa: E402

FILES = ["Poland_Czestochowa_2024_Zawodzie_-_Dabie.pb", "Poland_Krakow_2022_Pradnik_Czerwony.pb",
         "Poland_Wieliczka_2023_Green_Budget.pb", "Netherlands_Amsterdam_621.pb"]
RULES = ["greedy", "greedy-per-cost", "mes", "mes-cost", "mes+greedy", "mes+add1", "mes-cost+add1", "city"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", default=",".join(FILES))
    ap.add_argument("--rules", default=",".join(RULES))
    ap.add_argument("--limit", type=float, default=120.0)
    args = ap.parse_args()
    print("| file | rule | losing projects | before (s) | after (s) | same answers |")
    print("|---|---|---|---|---|---|")
    for name in args.files.split(","):
        election = pabulib.read(SHARED / name).election
        for rule in args.rules.split(","):
            try:
                outcome = run(rule, election)
            except Exception as exc:  # noqa: BLE001 (e.g. city on a file whose rule cannot be reproduced)
                print(f"| {name} | {rule} | - | - | - | {type(exc).__name__} |", flush=True)
                continue
            losing = [pid for pid, r in outcome.results.items() if not r.funded]
            t0 = time.process_time()
            fast = {pid: max_funded_cost(rule, election, pid, outcome=outcome) for pid in losing}
            after = time.process_time() - t0
            t0 = time.process_time()
            slow = {}
            for pid in losing:
                if time.process_time() - t0 > args.limit:
                    break
                slow[pid] = max_funded_cost_by_bisection(rule, election, pid)
            before = time.process_time() - t0
            same = all((fast[p].max_cost, fast[p].verified) == (s.max_cost, s.verified) for p, s in slow.items())
            shown = f"{before:.1f}" if len(slow) == len(losing) else f">{before:.0f} ({len(slow)} done)"
            print(f"| {name} | {rule} | {len(losing)} | {shown} | {after:.2f} | {'yes' if same else 'NO'} |",
                  flush=True)


if __name__ == "__main__":
    main()
