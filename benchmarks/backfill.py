"""Benchmark of per-month cost as history grows (`make bench-backfill`).

Generates 24 demo months into a scratch landing directory and runs them one month at a time, in
order, through Dagster on a scratch DuckDB warehouse, as the monthly schedule would; prints each
month's wall time and the ratio of the last month's time to the first's. Flat per-month cost
means the ratio stays near 1 (target: at most 1.2). A script, not a test."""

from __future__ import annotations

import argparse
import time
from datetime import date

from assets.runner import run_periods
from benchmarks.scratch import scratch_deployment
from pipelines.demo.generator import generate
from pipelines.exit_codes import ExitCode
from pipelines.periods import add_months, month_label, months_between

FIRST = date(2024, 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    folder = scratch_deployment("bench_backfill_")
    last = add_months(FIRST, args.months - 1)
    summary = generate(folder / "landing", FIRST, last, scale=args.scale)
    print(f"generated {args.months} months, {sum(summary.rows.values()):,} rows, into {folder}")
    times = []
    for month in months_between(FIRST, last):
        started = time.perf_counter()
        outcome = run_periods(month, month)
        seconds = time.perf_counter() - started
        if outcome.exit_code is not ExitCode.PUBLISHED:
            raise SystemExit(f"{month_label(month)} failed: {outcome.problems}")
        times.append(seconds)
        print(f"{month_label(month)}  {seconds:6.1f} s", flush=True)
    print(f"\nlast / first month: {times[-1] / times[0]:.2f}; mean {sum(times) / len(times):.1f} s")


if __name__ == "__main__":
    main()
