"""API sources: ad spend from a paginated JSON API served by a local server on the loopback
address, landed through the same checks and lineage as a file; the token from the environment,
429 and 500 answers retried, a malformed page and an exhausted retry named."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from pipelines.extract.contract import load_contract
from pipelines.extract.files import LandingError
from pipelines.extract.landing import LandingRules, land_table
from pipelines.extract.sources import ApiSource
from pipelines.extract.sources import api as api_source
from pipelines.extract.sources.errors import SourceUnavailable
from pipelines.warehouse.connection import DuckDBWarehouse
from pipelines.warehouse.schema import ensure_layout

JANUARY = date(2025, 1, 1)
RULES = LandingRules(
    channels=["paid_search", "display"], currencies=["USD"], now=datetime(2026, 1, 1, tzinfo=UTC)
)
AD_SPEND = load_contract().table("ad_spend")
TOKEN_ENV, TOKEN = "SCORECARD_TEST_ADS_TOKEN", "t0ken-xyz"
PAGE_SIZE = 2


def _row(day: int, campaign: str, spend: str) -> dict:
    return {
        "date": f"2025-01-{day:02d}",
        "channel": "paid_search",
        "campaign": campaign,  # the API's name for campaign_id
        "campaign_name": None,
        "impressions": 1000,
        "clicks": 10,
        "spend": spend,
        "currency": "USD",
    }


ROWS = [_row(1, "c1", "10.5"), _row(2, "c1", "11"), _row(3, "c2", "-1"), _row(4, "c2", "7.25")]


class SpendApi(BaseHTTPRequestHandler):
    """`GET /spend?month=YYYY-MM&page=N`: PAGE_SIZE rows a page; answers scripted per test."""

    scripted: ClassVar[list[tuple[int, str]]] = []  # (status, body) answered before the real pages
    broken_page: ClassVar[int | None] = None

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401, '{"error": "unauthorized"}')
        if self.scripted:
            return self._answer(*self.scripted.pop(0))
        query = parse_qs(urlsplit(self.path).query)
        page = int(query.get("page", ["1"])[0])
        if page == self.broken_page:
            return self._answer(200, "<html>maintenance</html>")
        rows = ROWS if query["month"] == ["2025-01"] else []
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        more = page * PAGE_SIZE < len(rows)
        host, port = self.server.server_address[:2]
        next_url = f"http://{host}:{port}/spend?month={query['month'][0]}&page={page + 1}"
        self._answer(200, json.dumps({"data": chunk, "next": next_url if more else None}))

    def _answer(self, status: int, body: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:  # quiet test output
        pass


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiSource]:
    SpendApi.scripted, SpendApi.broken_page = [], None
    server = ThreadingHTTPServer(("127.0.0.1", 0), SpendApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setattr(api_source, "BACKOFF_FACTOR", 0.01)
    port = server.server_address[1]
    yield ApiSource(
        kind="api",
        url=f"http://127.0.0.1:{port}/spend",
        token_env=TOKEN_ENV,
        columns={"campaign_id": "campaign"},
    )
    server.shutdown()
    server.server_close()


@pytest.fixture
def warehouse(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit="1GB") as wh:
        ensure_layout(wh)
        yield wh


def test_every_page_lands_through_the_landing_checks(api, warehouse):
    SpendApi.scripted = [(429, '{"error": "slow down"}'), (500, "oops")]
    [batch] = land_table(warehouse, "unused", AD_SPEND, [JANUARY], RULES, api)
    assert (batch.rows_read, batch.rows_landed, batch.rows_quarantined) == (4, 3, 1)
    landed = warehouse.query("select campaign_id, spend, _source from raw.ad_spend order by date")
    assert landed["campaign_id"].tolist() == ["c1", "c1", "c2"]
    assert set(landed["_source"]) == {f"{api.url}?month=2025-01"}
    assert TOKEN not in landed["_source"][0]
    quarantined = warehouse.query("select source_row, reason from quality.quarantine")
    assert quarantined["source_row"].tolist() == [3]
    assert "spend" in quarantined["reason"][0]


def test_a_malformed_page_is_named_and_nothing_lands(api, warehouse):
    SpendApi.broken_page = 2
    with pytest.raises(LandingError, match=r"\?month=2025-01: page 2 is not JSON"):
        land_table(warehouse, "unused", AD_SPEND, [JANUARY], RULES, api)
    assert warehouse.query("select count(*) as n from raw.ad_spend")["n"][0] == 0


def test_an_api_that_keeps_failing_fails_clearly_after_retries(api, warehouse):
    SpendApi.scripted = [(503, "down")] * api_source.REQUEST_ATTEMPTS
    with pytest.raises(SourceUnavailable, match=r"answered 503 on page 1 after 5 attempts"):
        land_table(warehouse, "unused", AD_SPEND, [JANUARY], RULES, api)
    assert warehouse.query("select count(*) as n from quality.landed_batches")["n"][0] == 0


def test_a_wrong_token_is_a_clear_error(api, warehouse, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "wrong")
    with pytest.raises(LandingError, match="page 1 answered 401 .is the token"):
        land_table(warehouse, "unused", AD_SPEND, [JANUARY], RULES, api)
