"""Personal data where it does not belong, for the tests that prove BI never sees it: a landing
with emails and phone numbers in odd places, and scans of every text value BI can read (the
DuckDB BI copy; on PostgreSQL, every column a BI login may select) for their shapes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg2

# Shapes of an email address and a phone number written with a + or separators. A regular
# expression both DuckDB (RE2) and PostgreSQL (ARE) read the same way.
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE = r"\+[0-9][0-9 ().-]{6,}[0-9]|\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}"

# What is planted: (table, data row (1 = first after the header), column, value).
PLANTED = [
    ("ad_spend", 1, "date", "jane.doe@example.com"),  # an email shifted into a date column
    ("ad_spend", 2, "campaign_name", "ask promo.lead@example.com"),  # an email in a name
    ("reps", 1, "rep_name", "+1 415 555 0134"),  # a phone number in a name field
    ("teams", 1, "team_name", "Inbound (415) 555-0199"),
]
# customers.email holds emails already: the demo data writes one per customer.


def plant_pii(landing: Path, month: str = "2025-01") -> None:
    """Write the planted values into the month's files (CSV, comma-separated, no quoting)."""
    for table, row, column, value in PLANTED:
        path = landing / table / f"{month}.csv"
        header, *rows = path.read_text().splitlines()
        fields = rows[row - 1].split(",")
        fields[header.split(",").index(column)] = value
        rows[row - 1] = ",".join(fields)
        path.write_text("\n".join([header, *rows]) + "\n")


def _matches(column: str, dialect: str) -> str:
    text = f"cast({column} as varchar)" if dialect == "duckdb" else f"{column}::text"
    if dialect == "duckdb":
        return f"regexp_matches({text}, '{EMAIL}') or regexp_matches({text}, '{PHONE}')"
    return f"{text} ~ '{EMAIL}' or {text} ~ '{PHONE}'"


def scan_duckdb(path: Path) -> dict[str, int]:
    """Per `schema.table.column` of the DuckDB file, the values shaped like an email or phone."""
    found = {}
    with duckdb.connect(str(path), read_only=True) as copy:
        columns = copy.sql(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where not internal and database_name = current_database()"
        ).fetchall()
        for schema, table, column in columns:
            relation, name = f'"{schema}"."{table}"', f'"{column}"'
            hits = copy.sql(
                f"select count(*) from {relation} where {_matches(name, 'duckdb')}"
            ).fetchone()[0]
            if hits:
                found[f"{schema}.{table}.{column}"] = hits
    return found


def scan_postgres(url: str) -> tuple[int, dict[str, int]]:
    """As the role of `url`: how many columns it may select (in any schema but the system's),
    and per `schema.table.column` the values shaped like an email or phone."""
    found = {}
    with psycopg2.connect(url, connect_timeout=3) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            select table_schema, table_name, column_name
            from information_schema.columns
            where table_schema not in ('pg_catalog', 'information_schema')
                and has_column_privilege(
                    format('%I.%I', table_schema, table_name), column_name, 'SELECT'
                )
            """
        )
        columns = cursor.fetchall()
        for schema, table, column in columns:
            relation, name = f'"{schema}"."{table}"', f'"{column}"'
            cursor.execute(f"select count(*) from {relation} where {_matches(name, 'postgres')}")
            hits = cursor.fetchone()[0]
            if hits:
                found[f"{schema}.{table}.{column}"] = hits
    connection.close()
    return len(columns), found
