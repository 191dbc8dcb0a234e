"""The exit codes of every `scorecard` command, apart from the runner so that commands which
never start a run (`validate`) do not import Dagster."""

from enum import IntEnum


class ExitCode(IntEnum):
    PUBLISHED = 0  # also: a command without a run succeeded, a landing is clean
    CHECK_FAILED = 1  # a blocking check failed (or would fail)
    BAD_INPUT = 2  # bad input or configuration: a file that cannot be read, an unknown name
    PIPELINE_ERROR = 3
