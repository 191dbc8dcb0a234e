"""great-expectations in a worker process: its answers are the in-process validation's, a
malformed sample fails the check rather than the run, and a worker that dies leaves the run to
validate the shapes itself."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.extract.contract import load_contract
from pipelines.quality import shape_worker
from pipelines.quality.raw_suite import validate_shape


@pytest.fixture(scope="module")
def samples() -> dict[str, pd.DataFrame]:
    good = pd.DataFrame(
        {
            "touchpoint_id": ["t1"],
            "visitor_id": ["v1"],
            "customer_id": [None],
            "occurred_at": [pd.Timestamp("2025-01-02 10:00")],
            "channel": ["email"],
            "campaign_id": ["c1"],
            "touch_type": ["click"],
            "_batch_id": ["b"],
            "_source": ["s"],
            "_period": [pd.Timestamp("2025-01-01")],
            "_loaded_at": [pd.Timestamp("2025-01-03")],
        }
    )
    return {"good": good, "wrong": good.drop(columns=["channel"]).assign(extra=[1])}


@pytest.mark.parametrize("name", ["good", "wrong"])
def test_the_worker_answers_as_validation_here_does(samples, name):
    touchpoints = load_contract().table("touchpoints")
    answer = shape_worker.validate_shape_later(touchpoints, samples[name]).result(timeout=120)
    assert answer == validate_shape(touchpoints, samples[name])
    assert all(o.success for o in answer) is (name == "good")


def test_a_dead_worker_leaves_the_validation_to_this_process(samples):
    touchpoints = load_contract().table("touchpoints")
    shape_worker.start()
    worker = shape_worker._worker
    assert worker is not None
    worker.process.kill()
    worker.process.wait()
    future = worker.submit(touchpoints, samples["good"])
    with pytest.raises(shape_worker.WorkerGone):
        future.result(timeout=10)
    outcomes = shape_worker.shape_outcomes(future, touchpoints, samples["good"])
    assert outcomes == validate_shape(touchpoints, samples["good"])


def test_stop_ends_the_worker_and_the_next_request_starts_another(samples):
    touchpoints = load_contract().table("touchpoints")
    shape_worker.start()
    first = shape_worker._worker
    assert first is not None
    shape_worker.stop()
    assert first.process.returncode is not None  # the process has exited, not just been dropped
    assert shape_worker._worker is None
    answer = shape_worker.validate_shape_later(touchpoints, samples["good"]).result(timeout=120)
    assert answer == validate_shape(touchpoints, samples["good"])
    assert shape_worker._worker is not first
    shape_worker.stop()
