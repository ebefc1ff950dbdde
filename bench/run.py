"""Benchmark runner: each benchmark runs in its own process; prints a table, writes JSON.

    .venv/bin/python -m bench.run                      # all benchmarks, default sizes
    .venv/bin/python -m bench.run report_csv --rows 1000000

Every figure is printed beside its peer measured in the same run on the same data,
with the peak memory (max RSS) of the process that produced it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import cases

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def run_one(name: str, variant: str, args: dict) -> dict:
    """Run one measurement in a fresh process; return its figures plus peak memory."""
    command = [sys.executable, "-m", "bench.cases", name, variant, json.dumps(args)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {
            "name": name,
            "variant": variant,
            "error": err.strip().splitlines()[-1] if err.strip() else "failed",
        }
    result = json.loads(out.strip().splitlines()[-1])
    result.update({"name": name, "variant": variant, "peak_mib": round(usage.ru_maxrss / 1024, 1)})
    return result


def print_table(rows: list[dict]) -> None:
    headers = ["benchmark", "variant", "units", "seconds", "per second", "peak MiB", "x peer", "split (s)"]
    table = []
    for row in rows:
        if "error" in row:
            table.append([row["name"], row["variant"], "-", "-", "-", "-", "ERROR: " + row["error"][:60], ""])
            continue
        table.append(
            [
                row["name"],
                row["variant"],
                f"{row['units']:,} {row['unit']}",
                f"{row['seconds']:.2f}",
                f"{row['per_second']:,.1f}",
                f"{row['peak_mib']:.0f}",
                row.get("vs_peer", ""),
                " ".join(f"{k}={v}" for k, v in row.get("split", {}).items()),
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *table, strict=False)]
    for line in [headers, ["-" * w for w in widths], *table]:
        print("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=False)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default all): {', '.join(cases.BENCHMARKS)}"
    )
    parser.add_argument("--rows", type=int, default=200_000, help="rows for report benchmarks")
    parser.add_argument("--pages", type=int, default=2_000, help="pages for document benchmarks")
    parser.add_argument(
        "--exhibits",
        type=int,
        default=100_000,
        help="exhibits for the exchange benchmark (5 child rows each)",
    )
    parser.add_argument(
        "--messages", type=int, default=10_000, help="requests published for the sqs_intake benchmark"
    )
    args = parser.parse_args(argv)
    names = args.names or list(cases.DEFAULT)
    size = {"rows": args.rows, "pages": args.pages, "exhibits": args.exhibits, "messages": args.messages}
    rows: list[dict] = []
    summaries: dict[str, str] = {}
    for name in names:
        setup = cases.BENCHMARKS[name]
        fixture = setup.prepare(size)
        measured = [run_one(name, variant, {**size, **fixture}) for variant in setup.variants]
        # Ratios are to the fastest peer measured in the same run.
        peers = [m for m in measured if m.get("peer") and "error" not in m]
        peer = max(peers, key=lambda m: m["per_second"]) if peers else None
        by_variant = {m["variant"]: m for m in measured if "error" not in m}
        named = any("vs" in m for m in measured)
        for m in measured:
            # A variant may name its own peer ("vs"): one benchmark then holds several comparisons
            # and only the variants naming a peer get a ratio.
            mine = by_variant.get(m["vs"]) if "vs" in m else None if named else peer
            if mine and mine["per_second"] and "error" not in m and m is not mine and not m.get("check"):
                m["vs_peer"] = f"{m['per_second'] / mine['per_second']:.2f}x"
        rows.extend(measured)
        if setup.summary:
            summaries[name] = setup.summary(measured)
    print_table(rows)
    for row in rows:  # a benchmark's own report (e.g. recall per type and form), after the timings
        if row.get("report"):
            print(f"\n{row['name']} / {row['variant']}\n\n{row['report']}")
    for name, text in summaries.items():
        print(f"\n{name}\n\n{text}")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(),
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "size": size,
                "results": rows,
                "summaries": summaries,
            },
            indent=2,
        )
    )
    print(f"\nwrote {out}")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    start = time.time()
    code = main()
    print(f"total {time.time() - start:.1f}s")
    raise SystemExit(code)
