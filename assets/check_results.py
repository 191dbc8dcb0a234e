"""Check verdicts (pipelines/quality/check_results.py) as Dagster asset check results."""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey

from pipelines.quality.check_results import CheckVerdict
from pipelines.quality.policy import Severity


def check_result(key: AssetKey, verdict: CheckVerdict) -> AssetCheckResult:
    """The verdict as a Dagster check result: a failed warning does not block downstream assets
    (Dagster blocks only on ERROR severity), a failed blocking check does."""
    return AssetCheckResult(
        asset_key=key,
        check_name=verdict.check_name,
        passed=verdict.passed,
        severity=(
            AssetCheckSeverity.ERROR
            if verdict.severity is Severity.BLOCKING
            else AssetCheckSeverity.WARN
        ),
        description=verdict.observed,
        metadata={"threshold": verdict.threshold} if verdict.threshold else {},
    )
