"""Failpoints: a crash-test aid. `failpoint("publish.before_commit")` kills this process with
SIGKILL (no cleanup, no finally blocks, no atexit: a real crash) when the environment variable
SCORECARD_FAILPOINT names that point, and does nothing otherwise.

The crash-safety tests run `scorecard run` in a subprocess with SCORECARD_FAILPOINT set to hit
each phase deterministically. Points: landing.after_batch, dbt.shared_models,
dbt.period_models, publish.scoring, publish.before_commit, bi_export.before_swap."""

from __future__ import annotations

import os
import signal

FAILPOINT_ENV = "SCORECARD_FAILPOINT"


def failpoint(name: str) -> None:
    """Die here, at once, if the crash test asked for this point."""
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
