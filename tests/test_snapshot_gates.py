"""Which periods may be re-scored: hand-made run histories, no warehouse."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from pipelines.snapshot.publish import RescoreGate, rescore_gates

JAN, FEB, MAR, APR = (date(2025, month, 1) for month in (1, 2, 3, 4))


def test_the_latest_run_of_each_period_must_have_passed_and_published() -> None:
    runs = pd.DataFrame(
        [
            ("r1", JAN, MAR, datetime(2025, 4, 1), True),  # Jan..Mar, passed, published
            ("r2", MAR, MAR, datetime(2025, 4, 2), False),  # Mar again, a blocking check failed
            ("r3", FEB, FEB, datetime(2025, 4, 3), True),  # Feb again, passed, published nothing
        ],
        columns=["run_id", "period_from", "period_to", "checked_at", "passed"],
    )
    published = pd.DataFrame([("r1", JAN), ("r1", FEB), ("r1", MAR)], columns=["run_id", "period"])
    gates = rescore_gates(runs, published, [JAN, FEB, MAR, APR])
    assert gates[JAN] == RescoreGate("r1", True)
    assert gates[FEB] == RescoreGate("r3", False, "its latest run r3 published no snapshot of it")
    assert gates[MAR] == RescoreGate(
        "r2", False, "its latest run r2 failed a blocking check; run it again"
    )
    assert gates[APR] == RescoreGate(None, False, "no run has built this period; run it first")
