"""Benchmark of every attribution model on generated data (`make bench-attribution`).

One month of 1,000,000 visitor journeys (about 3M touches over 10 channels, 5% ending in an
order, 1% in a lead, 0.2% in a won deal) is generated straight into a scratch DuckDB warehouse;
then the pipeline's own attribution code runs on it exactly as a monthly run does: the dbt
models up to the conversion paths, the rule-based models and the path aggregate, the Python step
that learns the Markov and Shapley weights, and the dbt models that join them back. Each stage
prints its wall time, the compute time dbt reports per model, and the peak resident memory of
the process while it ran. A script, not a test: figures depend on the machine."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from dbt.cli.main import dbtRunner

from assets.dbt_project import DBT_PROJECT_DIR
from pipelines.attribution.weights import refresh_channel_weights
from pipelines.config import load_pipeline_config
from pipelines.periods import dbt_vars
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
    """Samples this process's resident memory (DuckDB runs inside it) to find a stage's peak."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._done = threading.Event()

    @staticmethod
    def resident_kib() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak_kib = max(self.peak_kib, self.resident_kib())

    @contextmanager
    def watching(self) -> Iterator[PeakMemory]:
        self.peak_kib = self.resident_kib()
        self._done.clear()
        sampler = threading.Thread(target=self._sample, daemon=True)
        sampler.start()
        try:
            yield self
        finally:
            self._done.set()
            sampler.join()


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


def stage(name: str, work: Callable[[], dict[str, float]]) -> float:
    """Run one stage and print its figures; returns its compute seconds."""
    memory = PeakMemory()
    with memory.watching():
        started = time.perf_counter()
        models = work()
        wall = time.perf_counter() - started
    compute = sum(models.values()) if models else wall
    print(f"{name:<44} wall {wall:6.2f} s   compute {compute:6.2f} s   peak RSS "
          f"{memory.peak_kib / 1024:7.0f} MiB")  # fmt: skip
    for model, seconds in models.items():
        print(f"    {model:<40} {seconds:6.2f} s")
    return compute


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
    # Generating is not measured: it may use more memory than the stages are allowed.
    with connect(settings.model_copy(update={"duckdb_memory_limit": "4GB"})) as warehouse:
        ensure_layout(warehouse)
        for statement in GENERATE:
            warehouse.execute(statement, [args.journeys])
        counts = warehouse.query(
            "select (select count(*) from raw.touchpoints) as touches, "
            "(select count(*) from raw.orders) as orders, "
            "(select count(*) from raw.leads) as leads"
        ).iloc[0]
    print(
        f"generated {args.journeys:,} journeys: {counts.touches:,} touches, {counts.orders:,} "
        f"orders, {counts.leads:,} leads in {time.perf_counter() - started:.1f} s ({folder})\n"
    )

    def learn_weights() -> dict[str, float]:
        with connect(settings) as warehouse:
            weights = refresh_channel_weights(warehouse, MONTH, MONTH, attribution)
        print(f"    ({len(weights)} channel weights, Markov order {attribution.markov_order})")
        return {}

    total = sum(
        [
            stage(
                "1. paths (staging, identities, conversions)",
                lambda: run_dbt(["--select", "+int_conversion_paths_built"], folder),
            ),
            stage(
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
            stage("3. Markov + Shapley weights (Python)", learn_weights),
            stage(
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
    print(f"\nall models: {total:.2f} s of compute")


if __name__ == "__main__":
    main()
