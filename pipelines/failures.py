"""How a failed step says why it failed, so the CLI can turn it into the right exit code."""

FAILURE_KIND = "failure_kind"
BAD_INPUT = "bad_input"  # a landing file or configuration is wrong: exit 2
GATE_CLOSED = "gate_closed"  # a blocking check failed: exit 1, nothing published

# A step that failed only because its blocking check failed: the check itself is the reason.
CHECK_FAILURE_ERROR = "DagsterAssetCheckFailedError"
