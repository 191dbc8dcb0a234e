"""The exit codes of every `scorecard` command and how a run ended, apart from the runner so
that commands which never start a run (`validate`) do not import Dagster."""

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    PUBLISHED = 0  # also: a command without a run succeeded, a landing is clean
    CHECK_FAILED = 1  # a blocking check failed (or would fail)
    BAD_INPUT = 2  # bad input or configuration: a file that cannot be read, an unknown name
    PIPELINE_ERROR = 3


@dataclass
class RunOutcome:
    run_id: str
    exit_code: ExitCode
    problems: list[str] = field(default_factory=list)
    log_path: Path | None = None
