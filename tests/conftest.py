"""Shared fixtures: isolated settings per test, a fresh PostgreSQL database per session, and a
landing layout on each target."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
import pytest

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse

PG_ADMIN_URL = os.environ.get(
    "SCORECARD_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Warehouse, landing, Dagster home and alert log in a temporary folder; DuckDB target."""
    monkeypatch.setenv("SCORECARD_TARGET", "duckdb")
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SCORECARD_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("SCORECARD_ALERT_LOG", str(tmp_path / "alerts.log"))
    monkeypatch.delenv("SCORECARD_ALERT_WEBHOOK", raising=False)
    monkeypatch.setenv("SCORECARD_HOME", "")  # the checkout's config/: the demo
    (tmp_path / "dagster_home").mkdir()
    return tmp_path


@contextmanager
def fresh_database(prefix: str, admin: psycopg2.extensions.connection) -> Iterator[str]:
    """A new database on the local server for the block's duration, dropped afterwards."""
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"create database {name}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {name} with (force)")


@contextmanager
def fresh_mariadb_database(prefix: str) -> Iterator[str]:
    """A new database on the local MariaDB (root, no password) for the block's duration, as a
    SQLAlchemy URL; dropped afterwards. Unreachable server: skipped locally, a failure under
    CI=true (as PostgreSQL)."""
    import pymysql

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = pymysql.connect(
            host="127.0.0.1",
            port=3306,
            user="root",
            password="",
            autocommit=True,
            connect_timeout=3,
        )
    except pymysql.err.OperationalError as error:
        message = f"MariaDB not reachable at 127.0.0.1:3306: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"create database {name}")
        yield f"mysql://root@127.0.0.1:3306/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {name}")
        admin.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the local server, dropped at the end (the server is left as found).

    Unreachable server: skipped with the reason locally, a failure under CI=true."""
    try:
        admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as error:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL.split('@')[-1]}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        with fresh_database("scorecard_test", admin) as url:
            yield url
    finally:
        admin.close()


@pytest.fixture(params=["duckdb", "postgres"])
def landing_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """Each target with a fresh landing layout (raw and quality): a DuckDB file, then the
    session's PostgreSQL database with its raw and quality schemas made again."""
    from pipelines.warehouse.connection import DuckDBWarehouse, PostgresWarehouse
    from pipelines.warehouse.schema import ensure_layout

    if request.param == "duckdb":
        with DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit="1GB") as wh:
            ensure_layout(wh)
            yield wh
        return
    with PostgresWarehouse(request.getfixturevalue("postgres_url")) as wh:
        for schema in ("raw", "quality"):
            wh.execute(f"drop schema if exists {schema} cascade")
        ensure_layout(wh)
        yield wh


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files of whole pipeline runs (marked integration) first, each file's tests kept together
    in order: `--dist loadfile` hands files to the workers in collection order, and a long file
    handed out last keeps one worker busy alone at the end of the run."""
    heavy = {item.path for item in items if item.get_closest_marker("integration")}
    items.sort(key=lambda item: item.path not in heavy)
