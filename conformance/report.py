#!/usr/bin/env python3
"""Prints the scenario x client conformance table from the clients' JSON-line
results and exits 1 when any scenario of SCENARIOS.md failed or is missing
for any client.

usage: report.py SCENARIOS.md results.jsonl CLIENT..."""

import json
import re
import sys


def main(scenarios_md, results_path, clients):
    scenarios = re.findall(r"^\| `([a-z0-9_]+(?:\.[a-z0-9_]+)+)` \|", open(scenarios_md).read(), re.M)
    got = {}
    for line in open(results_path):
        if line.strip():
            r = json.loads(line)
            got[(r["scenario"], r["client"])] = r
    width = max(len(s) for s in scenarios + ["scenario"])
    cols = [max(len(c), 4) for c in clients]
    print("| " + "scenario".ljust(width) + " | " + " | ".join(c.ljust(w) for c, w in zip(clients, cols)) + " |")
    print("|" + "-" * (width + 2) + "|" + "|".join("-" * (w + 2) for w in cols) + "|")
    failures = []
    for s in scenarios:
        cells = []
        for c, w in zip(clients, cols):
            r = got.get((s, c))
            if r is None:
                cells.append("MISS".ljust(w))
                failures.append(f"{c} {s}: no result (the client did not run it or crashed)")
            elif r["ok"]:
                cells.append("pass".ljust(w))
            else:
                cells.append("FAIL".ljust(w))
                failures.append(f"{c} {s}: {r.get('detail', '')}")
        print("| " + s.ljust(width) + " | " + " | ".join(cells) + " |")
    extra = sorted({s for s, _ in got} - set(scenarios))
    if extra:
        print("results for scenarios not in SCENARIOS.md (ignored): " + ", ".join(extra))
    total = len(scenarios) * len(clients)
    print(f"{total - len(failures)}/{total} passed")
    for f in failures:
        print("  " + f[:400])
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
