"""``python -m app.tally FILE.pb --rule NAME [--json] [--tie-breaking NAME]``: print the winners."""

from __future__ import annotations

import argparse
import json
import sys

from . import pabulib
from .model import TallyError
from .rules import rule_names, run
from .tiebreak import TIE_BREAKINGS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.tally", description="Tally a pabulib file.")
    parser.add_argument("file", help="a pabulib .pb file")
    parser.add_argument("--rule", required=True, choices=rule_names())
    parser.add_argument("--tie-breaking", default="smallest-id", choices=sorted(TIE_BREAKINGS))
    parser.add_argument("--json", action="store_true", help="print a JSON object (winners, spent, details)")
    args = parser.parse_args(argv)
    try:
        election = pabulib.read(args.file).election
        outcome = run(args.rule, election, args.tie_breaking)
    except (TallyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        data = outcome.as_json()
        data["scale"] = election.scale
        json.dump(data, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for pid in outcome.winners:
            print(pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
