"""Dagster's run history (its event log) on SQLite, at a run's pace.

A month's run stores about 800 events (each check's planned event, evaluation and output, each
asset's materialization), one commit each. Dagster's own SQLite event log makes a new SQLAlchemy
engine for every one of them and commits with SQLite's default `synchronous = full`, which waits
for the disk: together about a quarter of a demo month's wall time. This storage keeps each
database's engine and connection (the index and the few runs last written) and commits WAL
databases, as Dagster creates them, with `synchronous = normal`: each commit stays atomic and
survives the process being killed; only a power cut can lose the last events written, never
corrupt the file. Same files, same schema: the webserver and the daemon read them as before. The
warehouse is not concerned."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import Field, StringSource
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from assets.dagster_internals import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    ConfigurableClassData,
    SqliteEventLogStorage,
)

# Run databases whose engine is kept besides the index's: a run writes to its own only.
KEPT_RUN_ENGINES = 4


class RunHistoryStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose engines are made once per database, not once per event."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables: set[str] = set()  # index tables known to exist
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Field]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> RunHistoryStorage:
        """`base_dir` defaults to where Dagster's default storage keeps the event log."""
        default = Path(os.environ["DAGSTER_HOME"]) / "history" / "runs"
        return cls(base_dir=config_value.get("base_dir") or str(default), inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
                engine.dispose()  # a new database is in WAL mode only now: connect again
            with engine.connect() as connection, connection.begin():
                yield connection

    def has_table(self, table_name: str) -> bool:
        """Dagster asks before each check's event; a table once there stays (only `wipe` drops
        them, and it drops the whole index): so asked once per table. Dagster asks inside an
        index transaction, so the question goes through an engine of its own, as Dagster's."""
        if table_name not in self._tables:
            if not super().has_table(table_name):
                return False
            self._tables.add(table_name)
        return True

    def wipe(self) -> None:
        """Dagster's wipe deletes the run databases' files: their kept connections go first."""
        self._close_engines()
        self._tables.clear()
        super().wipe()

    def _engine(self, shard: str) -> Engine:
        if shard in self._engines:
            self._engines.move_to_end(shard)
            return self._engines[shard]
        # One connection kept open per database: SQLite checkpoints and deletes the WAL when its
        # last connection closes, which Dagster's engine per event made happen at every event.
        # Connections are only used under self._db_lock, so one can serve every thread.
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _commit_without_flush_in_wal)
        self._engines[shard] = engine
        runs = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for name in runs[:-KEPT_RUN_ENGINES]:
            self._engines.pop(name).dispose()
        return engine

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()

    def _close_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


def _commit_without_flush_in_wal(connection: Any, _record: Any) -> None:
    """`synchronous = normal` where the database is in WAL mode (safe there, not in rollback)."""
    if connection.execute("pragma journal_mode").fetchone()[0] == "wal":
        connection.execute("pragma synchronous = normal")


# What dagster.yaml names to use it (assets/runner.py writes it into a new DAGSTER_HOME).
STORAGE_CONFIG = {
    "event_log_storage": {"module": __name__, "class": RunHistoryStorage.__name__},
}
