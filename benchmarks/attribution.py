"""Benchmark of every attribution model on generated data (`make bench-attribution`).

One month of 1,000,000 visitor journeys (about 3M touches over 10 channels, 5% ending in an
order, 1% in a lead, 0.2% in a won deal) is generated straight into a scratch DuckDB warehouse;
then the pipeline's own attribution code runs on it exactly as a monthly run does: the dbt
models up to the conversion paths, the rule-based models and the path aggregate, the Python step
that learns the Markov and Shapley weights, and the dbt models that join them back. Each stage
prints its wall time, the compute time dbt reports per model, and the peak resident memory of
the process while it ran. The peer, ChannelAttribution (heuristic models, then first-order
Markov), runs in the same run on the same journeys (one row per journey of the order type, as
its users feed it), in a child process so that its memory is its own; generating runs in a child
too. The last line: `RESULT total_s=... peak_rss_mb=...`. A script, not a test: figures depend on
the machine and its load (printed)."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from importlib import metadata
from pathlib import Path

import pandas as pd
from dbt.cli.main import dbtRunner

from assets.dbt_project import DBT_PROJECT_DIR
from pipelines.attribution.weights import refresh_channel_weights
from pipelines.config import load_pipeline_config
from pipelines.extract.contract import load_contract
from pipelines.periods import dbt_vars
from pipelines.quality.landed_rows import LandedPartition
from pipelines.quality.outcomes import SuiteResult
from pipelines.quality.raw_suite import record_unique_keys
from pipelines.quality.sql_suite import evaluate_unique_key
from pipelines.settings import Settings, Target
from pipelines.warehouse import connect
from pipelines.warehouse.schema import ensure_layout

MONTH = date(2025, 3, 1)
CHANNELS = [
    "direct", "organic_search", "organic_social", "referral", "email",
    "paid_search", "paid_social", "display", "affiliate", "video",
]  # fmt: skip
# Channel popularity (percent), so that the models have something to tell apart.
CHANNEL_SHARE = [20, 18, 8, 6, 12, 14, 8, 6, 4, 4]

BATCH = (
    "'bench' as _batch_id, 'benchmark' as _source, date '2025-03-01' as _period, "
    "now() as _loaded_at"
)

GENERATE = [
    # Journeys: visitor v has 1..5 touches (mean 3) during the first 27 days of March.
    f"""
    insert into raw.touchpoints
    with visitors as (
        select v, cast(1 + hash(v, 'n') % 5 as bigint) as touches from range(?) as t(v)
    ),
    touches as (
        select v, touches, unnest(range(1, touches + 1)) as k from visitors
    ),
    shares as (select {CHANNEL_SHARE!r} as share, {CHANNELS!r} as channel)
    select
        'tp_' || v || '_' || k as touchpoint_id,
        'v_' || v as visitor_id,
        case when v % 20 = 0 and k = touches then 'c_' || v end as customer_id,
        timestamp '2025-03-01' + to_seconds(cast(hash(v, k, 't') % (27 * 86400) as bigint))
            as occurred_at,
        (
            select channel[i]
            from range(1, 11) as r(i)
            where list_sum(share[1:i]) > hash(v, k, 'c') % 100
            order by i
            limit 1
        ) as channel,
        null as campaign_id,
        'click' as touch_type,
        {BATCH}
    from touches, shares
    """,
    # Every 20th visitor orders at the end of the month (identified on its last touch).
    f"""
    insert into raw.customers
    select 'c_' || v, timestamp '2025-01-01', 'c_' || v || '@example.com', 'emea', null, {BATCH}
    from range(0, ?, 20) as t(v)
    """,
    f"""
    insert into raw.orders
    select
        'o_' || v, 'c_' || v,
        timestamp '2025-03-28' + to_seconds(cast(hash(v, 'o') % (3 * 86400) as bigint)),
        'completed', 'USD', 50 + hash(v, 'g') % 450, 0, {BATCH}
    from range(0, ?, 20) as t(v)
    """,
    # Every 100th visitor (offset 1) becomes a lead; every 500th is won.
    f"""
    insert into raw.leads
    select
        'l_' || v, timestamp '2025-03-28', 'v_' || v, null, 'paid_search', null,
        timestamp '2025-03-28 12:00', null, null,
        case when v % 500 = 1 then 'won' else 'open' end,
        case when v % 500 = 1 then timestamp '2025-03-30' end,
        case when v % 500 = 1 then 1000 end,
        {BATCH}
    from range(1, ?, 100) as t(v)
    """,
]


class PeakMemory:
    """The peak resident memory of this process (DuckDB runs inside it) over a stretch of work:
    the kernel's high-water mark, reset at the start (a child process would otherwise start with
    its parent's, which survives fork and exec)."""

    def __init__(self) -> None:
        self.peak_kib = 0

    @staticmethod
    def _status_kib(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        return 0

    @contextmanager
    def watching(self) -> Iterator[PeakMemory]:
        Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak to the current size
        try:
            yield self
        finally:
            self.peak_kib = self._status_kib("VmHWM")


def run_dbt(select: list[str], folder: Path) -> dict[str, float]:
    """`dbt run` in process over the benchmark month; seconds per model as dbt reports them."""
    variables = dbt_vars(MONTH, MONTH, load_pipeline_config())
    result = dbtRunner().invoke(
        [
            "run", *select,
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(folder / "target"),
            "--log-path", str(folder / "logs"),
            "--vars", json.dumps(variables),
            "--quiet",
        ]
    )  # fmt: skip
    if not result.success:
        failures = [
            f"{node.node.name}: {node.message}"
            for node in getattr(result.result, "results", [])
            if node.status == "error"
        ]
        raise SystemExit(f"dbt run failed: {'; '.join(failures) or result.exception}")
    return {node.node.name: node.execution_time for node in result.result.results}


def stage(peaks: list[float], name: str, work: Callable[[], dict[str, float]]) -> float:
    """Run one stage and print its figures; returns its compute seconds, adds its peak (MiB)."""
    memory = PeakMemory()
    with memory.watching():
        started = time.perf_counter()
        models = work()
        wall = time.perf_counter() - started
    compute = sum(models.values()) if models else wall
    peaks.append(memory.peak_kib / 1024)
    print(f"{name:<44} wall {wall:6.2f} s   compute {compute:6.2f} s   peak RSS "
          f"{memory.peak_kib / 1024:7.0f} MiB")  # fmt: skip
    for model, seconds in models.items():
        print(f"    {model:<40} {seconds:6.2f} s")
    return compute


def load() -> str:
    """The machine's load averages (1, 5, 15 min): the figures are only comparable beside them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def in_child(work: Callable[..., dict], *args: object) -> dict:
    """Runs `work` in a fresh process (its memory stays out of this one's) and returns its dict."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(work, args)


def generate(settings: Settings, journeys: int) -> dict:
    """Writes the generated month into the warehouse; returns the row counts."""
    # Not measured: it may use more memory than the stages are allowed.
    with connect(settings.model_copy(update={"duckdb_memory_limit": "4GB"})) as warehouse:
        ensure_layout(warehouse)
        for statement in GENERATE:
            warehouse.execute(statement, [journeys])
        # Each table's batch logged as landing logs it: staging reads a month's newest batch.
        warehouse.execute(
            "insert into quality.landed_batches (batch_id, table_name, period, source, "
            "rows_read, rows_landed, rows_quarantined, loaded_at) "
            "select 'bench', table_name, date '2025-03-01', 'benchmark', 0, 0, 0, now() "
            "from (values ('touchpoints'), ('customers'), ('orders'), ('leads')) as t(table_name)"
        )
        # The raw key checks a run makes while landing (not timed here, as landing is not):
        # staging then groups no batch found unique by key again.
        for name in ("touchpoints", "customers", "orders", "leads"):
            table, partitions = load_contract().table(name), [LandedPartition("bench", MONTH)]
            unique = evaluate_unique_key(warehouse, table, partitions, 0)
            record_unique_keys(warehouse, SuiteResult(name, 0, [unique]), partitions)
        counts = warehouse.query(
            "select (select count(*) from raw.touchpoints) as touches, "
            "(select count(*) from raw.orders) as orders, "
            "(select count(*) from raw.leads) as leads"
        ).iloc[0]
    return {name: int(value) for name, value in counts.items()}


# One row per journey of the order type (the path's channels joined by '>', as the peer reads
# them), from the aggregate the pipeline built.
PEER_JOURNEYS = """
    select replace(path, ' > ', '>') as path, 1 as converted, 0 as lost
    from intermediate.int_attribution_paths_aggregated, range(conversions)
    where conversion_type = 'order'
    union all
    select replace(path, ' > ', '>'), 0, 1
    from intermediate.int_attribution_paths_aggregated, range(non_conversions)
    where conversion_type = 'order'
"""


def run_peer(journeys: pd.DataFrame) -> dict:
    """ChannelAttribution's heuristic models and first-order Markov on the month's journeys."""
    try:
        import ChannelAttribution  # the bench extra only
    except ImportError as error:
        return {"error": f"{error}; `make bench-attribution` installs the bench extra"}
    memory = PeakMemory()
    with memory.watching():
        started = time.perf_counter()
        ChannelAttribution.heuristic_models(journeys, "path", "converted", flg_pro=False)
        heuristics = time.perf_counter() - started
        started = time.perf_counter()
        ChannelAttribution.markov_model(
            journeys, "path", "converted", var_null="lost", order=1, verbose=False, flg_pro=False
        )
        markov = time.perf_counter() - started
    return {
        "version": metadata.version("ChannelAttribution"),
        "journeys": len(journeys),
        "heuristics_s": heuristics,
        "markov_s": markov,
        "peak_rss_mb": memory.peak_kib / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory cap")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_attribution_"))
    settings = Settings(
        target=Target.DUCKDB,
        warehouse=folder / "warehouse.duckdb",
        duckdb_memory_limit=args.memory_limit,
    )
    os.environ.update(settings.dbt_env())
    attribution = load_pipeline_config().attribution

    started = time.perf_counter()
    counts = in_child(generate, settings, args.journeys)
    print(
        f"generated {args.journeys:,} journeys: {counts['touches']:,} touches, "
        f"{counts['orders']:,} orders, {counts['leads']:,} leads in "
        f"{time.perf_counter() - started:.1f} s ({folder}); load: {load()}\n"
    )

    def learn_weights() -> dict[str, float]:
        with connect(settings) as warehouse:
            weights = refresh_channel_weights(warehouse, MONTH, MONTH, attribution)
        print(f"    ({len(weights)} channel weights, Markov order {attribution.markov_order})")
        return {}

    peaks: list[float] = []
    total = sum(
        [
            stage(
                peaks,
                "1. paths (staging, identities, conversions)",
                lambda: run_dbt(["--select", "+int_conversion_paths_built"], folder),
            ),
            stage(
                peaks,
                "2. rule-based models + path aggregate (SQL)",
                lambda: run_dbt(
                    [
                        "--select",
                        "int_attribution_credits_rule_based",
                        "int_attribution_paths_aggregated",
                    ],
                    folder,
                ),  # fmt: skip
            ),
            stage(peaks, "3. Markov + Shapley weights (Python)", learn_weights),
            stage(
                peaks,
                "4. data-driven credit joined back (SQL)",
                lambda: run_dbt(
                    [
                        "--select",
                        "int_attribution_credits_data_driven",
                        "int_attribution_credits_allocated",
                        "fct_attribution",
                        "fct_attribution_model_weights",
                    ],
                    folder,
                ),  # fmt: skip
            ),
        ]
    )
    ours_peak = max(peaks)
    print(f"\nall models: {total:.2f} s of compute, peak RSS {ours_peak:.0f} MiB; load: {load()}")
    with connect(settings) as warehouse:  # here: dbt, in this process, holds the file open
        journeys = warehouse.query(PEER_JOURNEYS)
    peer = in_child(run_peer, journeys)
    if "error" in peer:
        print(f"peer ChannelAttribution not run ({peer['error']}); the issue's figures on this "
              "machine: heuristics 2.7 s + first-order Markov 3.3 s, 0.5 GB")  # fmt: skip
    else:
        print(
            f"peer ChannelAttribution {peer['version']} on {peer['journeys']:,} journeys: "
            "heuristics "
            f"{peer['heuristics_s']:.2f} s, first-order Markov {peer['markov_s']:.2f} s, "
            f"peak RSS {peer['peak_rss_mb']:.0f} MiB; load: {load()}\n"
            f"  this pipeline, every model and conversion type: {total:.2f} s, {ours_peak:.0f} MiB"
            f" | peer, heuristics + one Markov on one conversion type: "
            f"{peer['heuristics_s'] + peer['markov_s']:.2f} s, {peer['peak_rss_mb']:.0f} MiB"
        )
    print(f"RESULT total_s={total:.2f} peak_rss_mb={ours_peak:.0f}")


if __name__ == "__main__":
    main()
