"""Great-expectations off a run's critical path: a process of its own, started early.

Importing great-expectations takes seconds of pure Python, and a thread would hold the
interpreter's lock while the run lands files. A second process (`python -m` this module) imports
it on the other core while this one starts the run and lands the files; the landed samples then
go to it through a pipe and their shape outcomes come back as futures. A run starts it as it
begins and stops it once its raw step has every answer (`running`): its ~300 MB of
great-expectations would otherwise stay resident through the run's SQL. Should it die, the shapes
are validated here instead."""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import IO, Any

import pandas as pd

from pipelines.extract.contract import Table
from pipelines.quality.outcomes import ExpectationOutcome

# Far above the seconds a sample's shape takes, import included: past it the worker is stuck.
ANSWER_TIMEOUT_SECONDS = 300
# A worker whose input closed exits at once, or, still importing, within seconds.
EXIT_TIMEOUT_SECONDS = 30


class WorkerGone(RuntimeError):
    """The worker process ended before it answered."""


class _Worker:
    """The child process, the futures it owes, and a thread that reads its answers."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.pending: dict[int, Future[Any]] = {}
        self.ids = itertools.count()
        self.lock = threading.Lock()
        threading.Thread(target=self._read_answers, daemon=True).start()

    def submit(self, table: Table, sample: pd.DataFrame) -> Future[list[ExpectationOutcome]]:
        future: Future[list[ExpectationOutcome]] = Future()
        with self.lock:
            request = next(self.ids)
            self.pending[request] = future
            try:
                assert self.process.stdin is not None
                pickle.dump((request, table, sample), self.process.stdin)
                self.process.stdin.flush()
            except (BrokenPipeError, OSError) as error:
                self.pending.pop(request)
                future.set_exception(WorkerGone(str(error)))
        return future

    def _read_answers(self) -> None:
        assert self.process.stdout is not None
        try:
            while True:
                request, outcomes, error = pickle.load(self.process.stdout)
                with self.lock:
                    future = self.pending.pop(request)
                if error:
                    future.set_exception(RuntimeError(error))
                else:
                    future.set_result(outcomes)
        except (EOFError, OSError, pickle.UnpicklingError):
            with self.lock:
                orphans, self.pending = list(self.pending.values()), {}
            for future in orphans:
                future.set_exception(WorkerGone("the great-expectations worker ended"))

    def close(self) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=EXIT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


_lock = threading.Lock()
_worker: _Worker | None = None


def start() -> None:
    """Start the worker and its great-expectations import now (idempotent): call it as early as
    a run is known to come, so the import overlaps the run's own start."""
    global _worker
    with _lock:
        if _worker is None or not _worker.alive:
            _worker = _Worker()


def stop() -> None:
    """End the worker once no answer is owed (it exits when its input closes); the next run
    starts another."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None:
        worker.close()


@contextlib.contextmanager
def running() -> Iterator[None]:
    """The worker for a block that submits samples and collects every answer (a run's raw
    step): started, if it is not already, and stopped when the block ends."""
    start()
    try:
        yield
    finally:
        stop()


def validate_shape_later(table: Table, sample: pd.DataFrame) -> Future[list[ExpectationOutcome]]:
    """The shape expectations of `table` on `sample`, evaluated in the worker."""
    start()
    assert _worker is not None
    return _worker.submit(table, sample)


def shape_outcomes(
    future: Future[list[ExpectationOutcome]], table: Table, sample: pd.DataFrame
) -> list[ExpectationOutcome]:
    """The worker's answer; if the worker is gone or stuck, the same expectations evaluated here."""
    try:
        return future.result(timeout=ANSWER_TIMEOUT_SECONDS)
    except (WorkerGone, TimeoutError):
        from pipelines.quality.raw_suite import validate_shape

        return validate_shape(table, sample)


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker's loop: import great-expectations first, then answer each request in turn."""
    from pipelines.quality.raw_suite import validate_shape, warm_up

    warm_up()
    while True:
        try:
            request, table, sample = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = (request, validate_shape(table, sample), None)
        except Exception as error:  # reported to the run, which fails the check with it
            answer = (request, None, f"{type(error).__name__}: {error}")
        pickle.dump(answer, answers)
        answers.flush()


if __name__ == "__main__":
    # Answers go through the original stdout; anything a library prints goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)
