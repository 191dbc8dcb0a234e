"""Helpers for tests of the dbt project: a scratch warehouse (DuckDB file or PostgreSQL database)
with the raw tables of the input contract, hand-made raw rows, and real `dbt` runs over it."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg2
import pytest

from assets.dbt_project import MANIFEST_PATH, WEIGHTS_SOURCE
from pipelines.attribution.weights import refresh_channel_weights
from pipelines.config import load_pipeline_config
from pipelines.extract.contract import BATCH_COLUMNS, load_contract, raw_table_ddl
from pipelines.periods import dbt_vars
from pipelines.settings import Settings, Target
from pipelines.transform.dbt_runner import DBT_PROJECT_DIR, DbtInvocation, run_dbt
from pipelines.warehouse import connect
from pipelines.warehouse.schema import QUALITY_DDL

# Batch columns of a hand-made row unless the row sets its own.
DEFAULT_BATCH = {
    "_batch_id": "fixture",
    "_source": "tests",
    "_period": date(2025, 1, 1),
    "_loaded_at": datetime(2025, 1, 1),
}

# The table as landing creates it, with the columns later layouts added.
LANDED_BATCHES_DDL = [ddl for ddl in QUALITY_DDL if "quality.landed_batches" in ddl]

RawRows = Mapping[str, Sequence[Mapping[str, object]]]


class DbtRunError(AssertionError):
    """A dbt command failed; the message carries the end of its output (an AssertionError, so
    pytest reports a test failure, not an error in the test code)."""


@dataclass(frozen=True)
class ScratchWarehouse:
    """A warehouse for one test module; dbt writes its target and logs under `folder`."""

    settings: Settings
    folder: Path
    last_invocation: list[DbtInvocation] = field(default_factory=list)

    def create_raw_tables(self) -> None:
        """Schema `raw` and every contract table in it (empty), and the landing log, as the
        landing code creates them."""
        with connect(self.settings) as warehouse:
            warehouse.execute("create schema if not exists raw")
            warehouse.execute("create schema if not exists quality")
            for table in load_contract().tables.values():
                warehouse.execute(raw_table_ddl(table))
            for ddl in LANDED_BATCHES_DDL:
                warehouse.execute(ddl)

    def insert(self, rows_by_table: RawRows) -> None:
        """Append rows to raw tables. A row names contract columns (missing ones are NULL) and may
        set batch columns (`_period`, `_loaded_at`, ...); DEFAULT_BATCH fills the rest."""
        with connect(self.settings) as warehouse:
            for table_name, rows in rows_by_table.items():
                table = load_contract().table(table_name)
                columns = [*table.column_names, *BATCH_COLUMNS]
                placeholders = ", ".join("?" for _ in columns)
                sql = f"insert into raw.{table_name} ({', '.join(columns)}) values ({placeholders})"
                for row in rows:
                    unknown = set(row) - set(columns)
                    if unknown:
                        raise ValueError(f"raw.{table_name} has no columns {sorted(unknown)}")
                    full_row = {**DEFAULT_BATCH, **row}
                    warehouse.execute(sql, [full_row.get(column) for column in columns])
                batches = {
                    tuple(
                        {**DEFAULT_BATCH, **row}[c] for c in ("_batch_id", "_period", "_loaded_at")
                    )
                    for row in rows
                }
                for batch_id, period, loaded_at in batches:
                    self.log_landed_batch(table_name, period, batch_id, loaded_at)

    def log_landed_batch(
        self,
        table_name: str,
        period: date,
        batch_id: str = "fixture",
        loaded_at: datetime = DEFAULT_BATCH["_loaded_at"],
    ) -> None:
        """A row of quality.landed_batches, as landing writes for every file (a header-only one
        too: `insert` logs the batches of the rows it appends, this alone an empty file)."""
        with connect(self.settings) as warehouse:
            warehouse.execute(
                "insert into quality.landed_batches (batch_id, table_name, period, source, "
                "rows_read, rows_landed, rows_quarantined, loaded_at) "
                "values (?, ?, ?, 'tests', 0, 0, 0, ?)",
                [batch_id, table_name, period, loaded_at],
            )

    def dbt(
        self, command: str, *args: str, first: date, last: date, project_dir: Path = DBT_PROJECT_DIR
    ) -> DbtInvocation:
        """Run `dbt <command> <args>` over the months first..last in this process, as the
        pipeline does; DbtRunError if anything failed. Another `project_dir` (a modified copy of
        the project) brings its own profiles.yml."""
        os.environ.update(self.settings.dbt_env())
        invocation = run_dbt(
            command,
            args,
            dbt_vars(first, last, load_pipeline_config()),
            self.folder / "dbt_target",
            project_dir=project_dir,
        )
        self.last_invocation[:] = [invocation]
        if not invocation.success:
            failed = [
                f"{node}: {status}"
                for node, status in invocation.statuses.items()
                if status not in ("pass", "success")
            ]
            raise DbtRunError(
                f"dbt {command} {' '.join(args)} failed: {invocation.errors + failed}"
            )
        return invocation

    def build(self, first: date, last: date) -> None:
        """`dbt build` (models and tests) over the months first..last, in the pipeline's two
        steps with the data-driven attribution weights learned in between. Like the pipeline's,
        without dbt's unit tests (tests/test_dbt_unit_tests.py runs them)."""
        no_unit_tests = ("--exclude-resource-type", "unit_test")
        self.dbt("build", "--exclude", f"{WEIGHTS_SOURCE}+", *no_unit_tests, first=first, last=last)
        self.learn_attribution_weights(first, last)
        self.dbt("build", "--select", f"{WEIGHTS_SOURCE}+", *no_unit_tests, first=first, last=last)

    def learn_attribution_weights(self, first: date, last: date) -> None:
        with connect(self.settings) as warehouse:
            refresh_channel_weights(warehouse, first, last, load_pipeline_config().attribution)

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        with connect(self.settings) as warehouse:
            return warehouse.query(sql, params)

    def execute(self, *statements: str) -> None:
        """Run statements in one transaction (e.g. to break a mart on purpose)."""
        with connect(self.settings) as warehouse, warehouse.transaction():
            for statement in statements:
                warehouse.execute(statement)

    def dbt_test_statuses(self) -> dict[str, str]:
        """The status of every dbt test of the last dbt command (pass, fail, warn, error), keyed
        by the test's name: a generic test as `<test>:<model>[.<column>][-><referenced model>]`, a
        singular one by its file name."""
        [invocation] = self.last_invocation
        nodes = _manifest_nodes()
        statuses: dict[str, str] = {}
        for unique_id, status in invocation.statuses.items():
            if unique_id.startswith("test."):
                name = _test_name(nodes[unique_id])
                if name in statuses:
                    raise ValueError(f"two dbt tests are named {name}: tell them apart")
                statuses[name] = status
        return statuses

    def failing_rows(self, test_name: str, columns: str = "*") -> pd.DataFrame:
        """The rows a test of the last dbt command found, as the pipeline reads them: its
        compiled query run again (assets/transform.py)."""
        [invocation] = self.last_invocation
        [sql] = [
            sql
            for unique_id, sql in invocation.compiled_sql.items()
            if unique_id.split(".")[2] == test_name
        ]
        return self.query(f"select {columns} from (\n{sql}\n) as failing_rows")


@cache
def _manifest_nodes() -> dict[str, Any]:
    return json.loads(MANIFEST_PATH.read_text())["nodes"]


def _test_name(test: Mapping[str, Any]) -> str:
    metadata = test.get("test_metadata")
    if not metadata:
        return str(test["name"])
    model = str(test["attached_node"]).rsplit(".", 1)[-1]
    column = f".{test['column_name']}" if test.get("column_name") else ""
    referenced = re.search(r"ref\('(\w+)'\)", str(metadata["kwargs"].get("to", "")))
    return f"{metadata['name']}:{model}{column}" + (f"->{referenced[1]}" if referenced else "")


def duckdb_warehouse(folder: Path) -> ScratchWarehouse:
    """A new DuckDB file in `folder`, with the empty raw tables."""
    settings = Settings(target=Target.DUCKDB, warehouse=folder / "warehouse.duckdb")
    warehouse = ScratchWarehouse(settings=settings, folder=folder)
    warehouse.create_raw_tables()
    return warehouse


@contextmanager
def postgres_warehouse(server_url: str, folder: Path) -> Iterator[ScratchWarehouse]:
    """A new database on the server of `server_url` (any database there), with the empty raw
    tables; dropped on exit so the server is left as found."""
    name = f"scorecard_dbt_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"create database {name}")
        settings = Settings(target=Target.POSTGRES, pg_url=f"{server_url.rsplit('/', 1)[0]}/{name}")
        warehouse = ScratchWarehouse(settings=settings, folder=folder)
        warehouse.create_raw_tables()
        yield warehouse
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {name} with (force)")
        admin.close()


@contextmanager
def scratch_warehouse(
    target: str, folder: Path, request: pytest.FixtureRequest
) -> Iterator[ScratchWarehouse]:
    """A scratch warehouse on `target` ('duckdb' or 'postgres'). PostgreSQL goes through the
    `postgres_url` fixture: skipped with the reason when the server is unreachable (failed under
    CI=true)."""
    if target == Target.POSTGRES:
        with postgres_warehouse(request.getfixturevalue("postgres_url"), folder) as warehouse:
            yield warehouse
    else:
        yield duckdb_warehouse(folder)


# Builders of hand-made raw rows: the columns a test cares about, plausible values for the rest.
# Times are 'YYYY-MM-DD HH:MM' strings; `extra` sets any other column, batch columns included.


def timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def customer_row(customer_id: str, owner_rep_id: str | None = None, **extra: object) -> dict:
    return {
        "customer_id": customer_id,
        "created_at": timestamp("2024-06-01 00:00"),
        "email": f" {customer_id.upper()}@Example.com ",
        "region": "emea",
        "owner_rep_id": owner_rep_id,
        **extra,
    }


def order_row(
    order_id: str,
    customer_id: str,
    ordered_at: str,
    gross: float,
    discount: float = 0,
    **extra: object,
) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "ordered_at": timestamp(ordered_at),
        "status": "completed",
        "currency": "USD",
        "gross_amount": gross,
        "discount_amount": discount,
        **extra,
    }


def order_item_row(
    order_id: str,
    line_no: int,
    quantity: int,
    unit_cost: float | None,
    unit_price: float = 0,
    **extra: object,
) -> dict:
    return {
        "order_id": order_id,
        "line_no": line_no,
        "product_id": f"p{line_no}",
        "quantity": quantity,
        "unit_price": unit_price,
        "unit_cost": unit_cost,
        **extra,
    }


def survey_row(
    response_id: str, customer_id: str, responded_at: str, score: int, scale: str
) -> dict:
    return {
        "response_id": response_id,
        "customer_id": customer_id,
        "responded_at": timestamp(responded_at),
        "score": score,
        "scale": scale,
    }


def refund_row(refund_id: str, order_id: str, refunded_at: str, amount: float) -> dict:
    return {
        "refund_id": refund_id,
        "order_id": order_id,
        "refunded_at": timestamp(refunded_at),
        "amount": amount,
    }


def touch_row(
    touchpoint_id: str,
    visitor_id: str,
    occurred_at: str,
    channel: str,
    campaign_id: str | None = None,
    customer_id: str | None = None,
    touch_type: str = "click",
) -> dict:
    return {
        "touchpoint_id": touchpoint_id,
        "visitor_id": visitor_id,
        "customer_id": customer_id,
        "occurred_at": timestamp(occurred_at),
        "channel": channel,
        "campaign_id": campaign_id,
        "touch_type": touch_type,
    }


def lead_row(lead_id: str, created_at: str, origin_channel: str, **extra: object) -> dict:
    """A lead; timestamps among `extra` (mql_at, sql_at, closed_at) are strings too."""
    times = {k: timestamp(v) for k, v in extra.items() if k.endswith("_at") and isinstance(v, str)}
    return {
        "lead_id": lead_id,
        "created_at": timestamp(created_at),
        "origin_channel": origin_channel,
        "status": "open",
        **extra,
        **times,
    }


def ad_spend_row(
    day: str, channel: str, campaign_id: str, spend: float, impressions: int = 0, clicks: int = 0
) -> dict:
    return {
        "date": date.fromisoformat(day),
        "channel": channel,
        "campaign_id": campaign_id,
        "campaign_name": f"Campaign {campaign_id}",
        "impressions": impressions,
        "clicks": clicks,
        "spend": spend,
        "currency": "USD",
    }


def manual_kpi_row(
    period: str, entity_type: str, entity_id: str, kpi: str, value: float, **extra: object
) -> dict:
    """A hand-entered KPI value; `period` is 'YYYY-MM' or 'YYYY-Qn'."""
    return {
        "period": period,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "kpi": kpi,
        "value": value,
        **extra,
    }
