"""Ad spend (or any contract table) from a paginated JSON API, through dlt's REST client.

The API serves a month per request: `GET <url>?month=YYYY-MM` answers
`{"data": [{...row...}, ...], "next": "<url of the next page>" | null}`, with a bearer token
from the environment when the source names one. 429 and 5xx answers are retried with back-off
(honouring Retry-After) by dlt's retrying session; a page that is not that shape fails naming
the URL and page. The rows go, as text, to a Parquet file that lands like any file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.parquet as pq
from dlt.sources.helpers.requests.retry import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import HTTPError, JSONDecodeError, RequestException, Response

from pipelines.extract.contract import Table
from pipelines.extract.files import LandingError, LandingFile
from pipelines.extract.sources.config import ApiSource
from pipelines.extract.sources.errors import SourceUnavailable
from pipelines.periods import month_label

REQUEST_ATTEMPTS = 5
BACKOFF_FACTOR = 1.0  # seconds, doubled each attempt
MAX_RETRY_DELAY = 30.0
RETRIED_STATUSES = (429, 500, 502, 503, 504)
PAGE_SHAPE = '{"data": [rows], "next": <url or null>}'


@contextmanager
def extract_month(source: ApiSource, table: Table, month: date) -> Iterator[LandingFile]:
    """The month's rows as a Parquet file of the contract's columns, as text."""
    label = f"{_without_query(source.url)}?month={month_label(month)}"
    rows = read_rows(source, table, month, label)
    with tempfile.TemporaryDirectory(prefix="scorecard-api-") as folder:
        path = Path(folder) / f"{month_label(month)}.parquet"
        pq.write_table(_as_contract(rows, source, table, label), path)
        yield LandingFile(table=table.name, month=month, url=label, format="parquet", local=path)


def read_rows(source: ApiSource, table: Table, month: date, label: str) -> list[dict]:
    """Every page's rows, following `next` until it is null."""
    client = RESTClient(
        base_url=source.url,
        auth=_auth(source, table),
        paginator=JSONLinkPaginator(next_url_path="next"),
        session=Client(
            raise_for_status=False,
            request_max_attempts=REQUEST_ATTEMPTS,
            request_backoff_factor=BACKOFF_FACTOR,
            request_max_retry_delay=MAX_RETRY_DELAY,
            status_codes=RETRIED_STATUSES,
        ).session,
    )
    rows: list[dict] = []
    page = 0
    try:
        # the whole body per page ("$"): its shape is checked here, so a malformed page is named
        for data in client.paginate(params={"month": month_label(month)}, data_selector="$"):
            page += 1
            rows.extend(_page_rows(data.response, label, page))
    except JSONDecodeError:  # requests' own: simplejson's or json's, whichever it parses with
        raise LandingError(f"{label}: page {page + 1} is not JSON; expected {PAGE_SHAPE}") from None
    except HTTPError as error:
        status = error.response.status_code if error.response is not None else None
        if status in RETRIED_STATUSES:
            raise SourceUnavailable(
                f"raw.{table.name}: {label} answered {status} on page {page + 1} after "
                f"{REQUEST_ATTEMPTS} attempts; nothing landed"
            ) from None
        raise LandingError(
            f"{label}: page {page + 1} answered {status}"
            + (" (is the token in the environment right?)" if status in (401, 403) else "")
        ) from None
    except RequestException as error:
        raise SourceUnavailable(
            f"raw.{table.name}: {label} did not answer after {REQUEST_ATTEMPTS} attempts "
            f"({type(error).__name__}); nothing landed"
        ) from None
    return rows


def _page_rows(response: Response, label: str, page: int) -> list[dict]:
    try:
        body = response.json()
    except JSONDecodeError:  # requests' own: simplejson's or json's, whichever it parses with
        raise LandingError(
            f"{label}: page {page} is not JSON; expected " '{"data": [rows], "next": <url or null>}'
        ) from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise LandingError(
            f"{label}: page {page} has no list of row objects under 'data'; expected {PAGE_SHAPE}"
        )
    return data


def _as_contract(rows: list[dict], source: ApiSource, table: Table, label: str) -> pa.Table:
    """The contract's columns as text (landing parses and checks them); a field missing from a
    row is named with the row's place."""
    columns: dict[str, list[str | None]] = {name: [] for name in table.column_names}
    for number, row in enumerate(rows, start=1):
        for name in table.column_names:
            field = source.columns.get(name, name)
            if field not in row:
                expected = ", ".join(sorted(_fields(source, table)))
                raise LandingError(
                    f"{label}: row {number} has no field '{field}' (column '{name}' of table "
                    f"'{table.name}'); expected the fields {expected}"
                )
            value = row[field]
            columns[name].append(None if value is None else str(value))
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def _fields(source: ApiSource, table: Table) -> set[str]:
    return {source.columns.get(name, name) for name in table.column_names}


def _auth(source: ApiSource, table: Table) -> BearerTokenAuth | None:
    if source.token_env is None:
        return None
    token = os.environ.get(source.token_env)
    if not token:
        raise LandingError(
            f"sources.{table.name}: the environment variable {source.token_env} is not set; "
            "expected the API token in it"
        )
    return BearerTokenAuth(token)


def _without_query(url: str) -> str:
    """The URL as lineage: no query string or user info (where tokens hide)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
