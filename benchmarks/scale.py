"""Benchmark of whole months at scale (`make bench-scale`): each month runs end to end through
`scorecard run --period` (land, checks, dbt, attribution, scoring, snapshot), timed as a command,
with the peak resident memory of its process tree (the run and the great-expectations worker),
beside its floor measured in the same run: every file of the month read once into a fresh DuckDB
(`create table as select * from read_parquet(...)`).

1. Size: one month at each touchpoint count (default 1M, 3M, 10M) with 300k orders and 50k
   leads, each on a fresh warehouse: the time should grow about linearly.
2. No touchpoints: the same orders and leads, no touchpoint file.
3. History: months 1..N (default 12) at 3M touchpoints each, run in order on one warehouse:
   the last month's time beside the first's (the cost of a month must not grow with history).
The DuckDB memory limit is 3GB (SCORECARD_DUCKDB_MEMORY_LIMIT), so that the process stays under
4 GB; DuckDB spills past it. Prints `uptime` before and after. A script, not a test."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb

from benchmarks.scale_data import MonthSize, write_month
from benchmarks.scratch import scratch_deployment
from pipelines.periods import add_months, months_between

SCORECARD = str(Path(sys.executable).with_name("scorecard"))
FIRST_MONTH = date(2025, 1, 1)
MEMORY_LIMIT = "3GB"


class TreeMemory:
    """The peak resident memory (MiB) of a process and its descendants, sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry.name))
        tree, pending = [], [self.pid]
        while pending:
            pid = pending.pop()
            tree.append(pid)
            pending.extend(children.get(pid, []))
        return tree

    @staticmethod
    def _rss_kib(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            total = sum(self._rss_kib(pid) for pid in self._tree()) / 1024
            self.peak_mib = max(self.peak_mib, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mib


def run_month(month: date) -> tuple[float, float]:
    """`scorecard run --period` for the month: wall seconds and peak tree RSS (MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [SCORECARD, "run", "--period", f"{month:%Y-%m}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    memory = TreeMemory(process.pid)
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"scorecard run --period {month:%Y-%m} failed:\n{output[-4000:]}")
    return seconds, peak


def floor_seconds(landing: Path, month: date) -> float:
    """Every file of the month read once into a fresh in-memory DuckDB: what landing can't beat."""
    started = time.perf_counter()
    with duckdb.connect() as connection:
        for file in sorted(landing.glob(f"*/{month:%Y-%m}.parquet")):
            connection.execute(
                f"create table {file.parent.name} as select * from read_parquet(?)", [str(file)]
            )
    return time.perf_counter() - started


def fresh_deployment(name: str) -> Path:
    folder = scratch_deployment(f"bench_scale_{name}_")
    os.environ["SCORECARD_DUCKDB_MEMORY_LIMIT"] = MEMORY_LIMIT
    # The scratch warehouse's dbt partial-parse state (as `make manifest` leaves for the demo's).
    subprocess.run([sys.executable, "-m", "assets.dbt_project"], check=True)
    return folder


def measure(label: str, landing: Path, month: date, index: int, size: MonthSize) -> float:
    started = time.perf_counter()
    written = write_month(landing, month, index, size)
    generated = time.perf_counter() - started
    floor = floor_seconds(landing, month)
    seconds, peak = run_month(month)
    rows = sum(written.values())
    print(
        f"{label:<34} {seconds:7.1f} s  peak {peak:6.0f} MiB  floor (read files) {floor:5.1f} s"
        f"  {seconds / max(floor, 1e-9):5.1f}x  rows {rows:>10,}  (generated in {generated:.0f} s)",
        flush=True,
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,3000000,10000000", help="touchpoints per run")
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--history-months", type=int, default=12)
    parser.add_argument("--history-touchpoints", type=int, default=3_000_000)
    arguments = parser.parse_args()
    print(f"uptime: {os.popen('uptime').read().strip()}\n", flush=True)

    print("1. one month by size (fresh warehouse each)")
    sizes = [int(size) for size in arguments.sizes.split(",") if size]
    for touchpoints in sizes:
        folder = fresh_deployment(f"{touchpoints}")
        size = MonthSize(touchpoints, arguments.orders, arguments.leads)
        measure(f"  {touchpoints:,} touchpoints", folder / "landing", FIRST_MONTH, 0, size)

    print("2. no touchpoints")
    folder = fresh_deployment("no_touch")
    size = MonthSize(0, arguments.orders, arguments.leads)
    measure(f"  {arguments.orders:,} orders, no touches", folder / "landing", FIRST_MONTH, 0, size)

    if arguments.history_months:
        print(f"3. history: {arguments.history_months} months in order, one warehouse")
        folder = fresh_deployment("history")
        size = MonthSize(arguments.history_touchpoints, arguments.orders, arguments.leads)
        months = months_between(FIRST_MONTH, add_months(FIRST_MONTH, arguments.history_months - 1))
        times = [
            measure(f"  month {index + 1:>2} {month:%Y-%m}", folder / "landing", month, index, size)
            for index, month in enumerate(months)
        ]
        print(f"  month {len(times)} / month 1: {times[-1] / times[0]:.2f}x (target at most 1.2x)")
    print(f"\nuptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
