#!/usr/bin/env python3
"""Cross-check data/root_programs/actions.csv against crt.sh's root_trust_purpose history.

Usage: scripts/crosscheck_root_programs.py PATH/root_program_trust_history.csv [--actions PATH]

The history file (crt.sh's root-program trust records collapsed into intervals: program, crtsh_trust_context_id,
root_sha256, trust_purpose_oid, disabled_from, notbefore_until, first_snapshot, last_snapshot, …) is GPL-3.0 data:
it is read from where it lies and never copied into this repository. For every (action, root) with a dated
server-authentication cut-off — a distrust-after against crt.sh's ``notbefore_until``, a removal with a cut-off
(Microsoft's Disable date) against ``disabled_from`` — the script prints whether crt.sh recorded the same date for
that program and root ("agree"), another one ("differ", with both values), or none ("not in crt.sh": the action
predates its 2020–2025 snapshots, lives in client code, or the root had left the store). It exits 0; the counts
close the output.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import root_programs  # noqa: E402

CONTEXTS = {"1": "Microsoft", "5": "Mozilla", "6": "Chrome", "12": "Apple"}
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"


def _norm(value: str) -> str:
    """crt.sh writes '2024-11-11T23:59:59Z' or '2022-12-01 00:00:00': compare as 'YYYY-MM-DD HH:MM:SS'."""
    return value.replace("T", " ").replace("Z", "")[:19]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("history", type=Path, help="crt.sh root_program_trust_history.csv (read in place)")
    ap.add_argument("--actions", type=Path, default=None, help="actions file (default: the bundled one)")
    args = ap.parse_args(argv)
    if not args.history.is_file():
        print(f"crosscheck: {args.history} not found; nothing to compare", file=sys.stderr)
        return 2
    recorded: dict[tuple[str, str], set[tuple[str, str]]] = {}
    with open(args.history, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            program = CONTEXTS.get(r["crtsh_trust_context_id"])
            if program is None or r["trust_purpose_oid"] != SERVER_AUTH:
                continue
            recorded.setdefault((program, r["root_sha256"].upper()), set()).add(
                (_norm(r["notbefore_until"]), _norm(r["disabled_from"])))
    counts: Counter[str] = Counter()
    for a in root_programs.load_actions(args.actions):
        if a.mechanism not in ("distrust_after", "allowlist_existing", "removal") or a.cutoff is None:
            continue
        want = f"{a.cutoff:%Y-%m-%d %H:%M:%S}"
        column = 1 if a.mechanism == "removal" else 0  # disabled_from, else notbefore_until
        name = ("disabled_from", "notbefore_until")[1 - column]
        for sha in a.roots:
            seen = recorded.get((a.program, sha), set())
            nbu = sorted({pair[column] for pair in seen if pair[column]})
            if not nbu:
                status = "not in crt.sh"
            elif want in nbu:
                status = "agree"
            else:
                status = "differ"
            counts[status] += 1
            print(f"{status:13} {a.action_id:30} {sha[:16]}… actions.csv {want}"
                  + (f" | crt.sh {name} {', '.join(nbu)}" if nbu else ""))
    print(f"\n{sum(counts.values())} (action, root) pairs with a dated cut-off: "
          + ", ".join(f"{counts[k]} {k}" for k in ("agree", "differ", "not in crt.sh")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
