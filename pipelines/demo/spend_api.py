"""`scorecard serve-spend`: a small local JSON API serving the demo's ad spend, so a newcomer sees
an API source work (README, Connecting sources); the end-to-end test of the kinds serves its
spend with it too.

`GET /spend?month=YYYY-MM&page=N` answers `{"data": [rows], "next": <next page URL> | null}`,
the rows of `<landing>/ad_spend/<YYYY-MM>.csv` (empty values as null), PAGE_SIZE a page."""

from __future__ import annotations

import csv
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGE_SIZE = 400
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def spend_server(landing: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server (not yet serving) of `landing`'s ad spend files."""

    class Spend(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            month = query.get("month", [""])[0]
            page = query.get("page", ["1"])[0]
            if url.path != "/spend" or not MONTH.match(month) or not page.isdigit():
                return self._answer(400, {"error": "expected /spend?month=YYYY-MM[&page=N]"})
            rows = _rows(landing / "ad_spend" / f"{month}.csv")
            number = int(page)
            more = number * PAGE_SIZE < len(rows)
            served_host, served_port = self.server.server_address[:2]
            next_url = f"http://{served_host}:{served_port}/spend?month={month}&page={number + 1}"
            chunk = rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
            self._answer(200, {"data": chunk, "next": next_url if more else None})

        def _answer(self, status: int, body: dict) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: object) -> None:  # requests are not worth a line each
            pass

    return ThreadingHTTPServer((host, port), Spend)


def serve_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def _rows(path: Path) -> list[dict[str, str | None]]:
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return [
            {k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(file)
        ]
