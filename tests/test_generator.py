"""The demo data generator: files exactly as the input contract says, deterministic, coherent."""

from __future__ import annotations

import filecmp
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipelines.config import ConfigError, load_pipeline_config
from pipelines.demo.generator import generate
from pipelines.demo.profiles import load_profiles
from pipelines.extract.contract import ColumnType, load_contract
from pipelines.periods import month_label, months_between

FIRST, LAST = date(2025, 1, 1), date(2025, 3, 1)
AS_OF = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)  # inside the last month: it is still open
MONTHS = [month_label(m) for m in months_between(FIRST, LAST)]
SMALL = {"seed": 11, "scale": 0.3, "as_of": AS_OF}
CONTRACT = load_contract()

# The column whose month decides a row's file (order_items follow their order; leads change).
FILE_MONTH_COLUMNS = {
    "ad_spend": "date",
    "touchpoints": "occurred_at",
    "orders": "ordered_at",
    "customers": "created_at",
    "refunds": "refunded_at",
    "tickets": "opened_at",
    "surveys": "responded_at",
    "budgets": "month",
    "targets": "period",
    "manual_kpis": "period",
}
LEAD_STAGES = ["created_at", "mql_at", "sql_at", "closed_at"]
TEXT_FORMS = {
    ColumnType.STRING: r".+",
    ColumnType.INTEGER: r"-?\d+",
    ColumnType.DECIMAL: r"-?\d+(\.\d+)?",
    ColumnType.DATE: r"\d{4}-\d\d-\d\d",
    ColumnType.TIMESTAMP: r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
    ColumnType.MONTH: r"\d{4}-(0[1-9]|1[0-2])",
    ColumnType.PERIOD: r"\d{4}-(0[1-9]|1[0-2]|Q[1-4])",
}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("landing")
    generate(folder, FIRST, LAST, **SMALL)
    return folder


def read(landing: Path, table: str) -> pd.DataFrame:
    """Every month's CSV of a table as text (empty = ''), with the file's month in `file_month`."""
    return pd.concat(
        [
            pd.read_csv(landing / table / f"{month}.csv", dtype=str, keep_default_na=False).assign(
                file_month=month
            )
            for month in MONTHS
        ],
        ignore_index=True,
    )


def test_every_contract_table_has_a_file_per_month_with_exactly_the_contract_columns(landing):
    for name, table in CONTRACT.tables.items():
        for month in MONTHS:
            header = (landing / name / f"{month}.csv").read_text().splitlines()[0]
            assert header.split(",") == table.column_names, f"{name}/{month}"


def test_a_small_short_run_has_rows_in_every_table(landing):
    for name in CONTRACT.tables:
        assert len(read(landing, name)) > 0, name


def test_same_arguments_give_identical_bytes_and_another_seed_does_not(landing, tmp_path):
    generate(tmp_path / "again", FIRST, LAST, **SMALL)
    generate(tmp_path / "other", FIRST, LAST, **{**SMALL, "seed": 12})
    files = [f"{name}/{month}.csv" for name in CONTRACT.tables for month in MONTHS]
    _, mismatched, errors = filecmp.cmpfiles(landing, tmp_path / "again", files, shallow=False)
    assert (mismatched, errors) == ([], [])
    _, mismatched, _ = filecmp.cmpfiles(landing, tmp_path / "other", files, shallow=False)
    assert "touchpoints/2025-02.csv" in mismatched


def test_every_value_is_what_the_contract_allows(landing):
    allowed_sets = {"channels": set(load_pipeline_config().channels), "currencies": {"USD"}}
    for name, table in CONTRACT.tables.items():
        rows = read(landing, name)
        for column in table.columns.values():
            where = f"{name}.{column.name}"
            values = rows[column.name]
            present = values[values != ""]
            assert column.nullable or len(present) == len(values), f"{where}: missing values"
            form = TEXT_FORMS[column.type]
            assert present.str.fullmatch(form).all(), f"{where}: not {column.type}"
            if column.type in (ColumnType.DATE, ColumnType.TIMESTAMP):
                assert pd.to_datetime(present, errors="coerce").notna().all(), f"{where}: bad date"
            if column.min is not None:
                assert (present.astype(float) >= column.min).all(), f"{where}: below {column.min}"
            allowed = column.values or allowed_sets.get(column.values_from or "")
            if allowed:
                assert present.isin(allowed).all(), f"{where}: {set(present) - set(allowed)}"


def test_amounts_have_two_decimals(landing):
    for name, column in [("orders", "gross_amount"), ("ad_spend", "spend"), ("refunds", "amount")]:
        assert read(landing, name)[column].str.fullmatch(r"\d+\.\d\d").all(), f"{name}.{column}"


def test_keys_are_unique_within_each_file(landing):
    for name, table in CONTRACT.tables.items():
        rows = read(landing, name)
        duplicated = rows[rows.duplicated(["file_month", *table.key], keep=False)]
        assert duplicated.empty, f"{name}: {duplicated.head(3).to_dict('records')}"


def test_entity_keys_are_unique_across_files(landing):
    for name in ["touchpoints", "orders", "customers", "refunds", "tickets", "surveys"]:
        key = CONTRACT.table(name).key
        assert not read(landing, name).duplicated(key).any(), name


def test_rows_are_in_the_file_of_their_month(landing):
    for name, column in FILE_MONTH_COLUMNS.items():
        rows = read(landing, name)
        assert (rows[column].str[:7] == rows["file_month"]).all(), name
    orders = read(landing, "orders").set_index("order_id")["file_month"]
    items = read(landing, "order_items")
    assert (items["order_id"].map(orders) == items["file_month"]).all()


def test_leads_are_change_data_with_their_state_at_each_month_end(landing):
    leads = read(landing, "leads")
    latest = leads.drop_duplicates("lead_id", keep="last").set_index("lead_id")
    changed_in = latest[LEAD_STAGES].apply(lambda stages: {s[:7] for s in stages if s}, axis=1)
    appears_in = leads.groupby("lead_id")["file_month"].agg(set)
    assert (changed_in == appears_in.reindex(changed_in.index)).all()
    for stage in LEAD_STAGES:
        shown_early = leads[stage].str[:7] > leads["file_month"]
        assert not shown_early.any(), f"{stage} shown before it happened"
    assert (leads["closed_at"].eq("") == leads["status"].eq("open")).all()
    won = leads["status"] == "won"
    assert (leads["deal_value"].ne("") == won).all()
    assert (leads.loc[won, "customer_id"] != "").all()
    assert set(leads["status"]) == {"open", "won", "lost", "disqualified"}


def test_references_resolve(landing):
    orders = read(landing, "orders")
    customers = read(landing, "customers").set_index("customer_id")
    assert set(read(landing, "order_items")["order_id"]) <= set(orders["order_id"])
    for name in ["refunds", "tickets", "surveys"]:
        assert set(read(landing, name)["order_id"]) <= set(orders["order_id"]), name
    created = orders["customer_id"].map(customers["created_at"])
    assert created.notna().all() and (created <= orders["ordered_at"]).all()

    reps = read(landing, "reps")
    teams = read(landing, "teams")
    assert set(read(landing, "leads")["rep_id"]) <= set(reps["rep_id"])
    assert set(customers["owner_rep_id"]) - {""} <= set(reps["rep_id"])
    assert set(reps["team_id"]) <= set(teams["team_id"])
    assert set(teams["parent_team_id"]) - {""} <= set(teams["team_id"])


def test_campaigns_belong_to_their_channel(landing):
    touches = read(landing, "touchpoints")
    with_campaign = touches[touches["campaign_id"] != ""]
    assert all(
        c.startswith(f"cmp_{ch}_")
        for c, ch in zip(with_campaign["campaign_id"], with_campaign["channel"], strict=True)
    )
    paid = {name for name, channel in load_pipeline_config().channels.items() if channel.paid}
    spend = read(landing, "ad_spend")
    assert set(spend["channel"]) == paid
    paid_touches = touches[touches["channel"].isin(paid)]
    assert set(paid_touches["campaign_id"]) <= set(spend["campaign_id"])
    assert (touches["campaign_id"] == "").eq(~touches["channel"].isin(paid | {"email"})).all()


def test_leads_go_to_reps_employed_when_the_lead_arrives(landing):
    reps = read(landing, "reps").drop_duplicates("rep_id", keep="last").set_index("rep_id")
    leads = read(landing, "leads")
    created = leads["created_at"].str[:10]
    assert (leads["rep_id"].map(reps["hired_at"]) <= created).all()
    left = leads["rep_id"].map(reps["left_at"])
    assert ((left == "") | (left > created)).all()


def test_nothing_is_dated_after_as_of(landing):
    latest = AS_OF.strftime("%Y-%m-%d %H:%M:%S")
    for name, table in CONTRACT.tables.items():
        rows = read(landing, name)
        for column in table.columns.values():
            if column.type in (ColumnType.DATE, ColumnType.TIMESTAMP):
                assert (rows[column.name] <= latest).all(), f"{name}.{column.name}"


def test_a_month_after_as_of_has_header_only_files_but_the_known_reps(tmp_path):
    summary = generate(
        tmp_path, date(2025, 1, 1), date(2025, 2, 1), seed=3, scale=0.2, as_of=datetime(2025, 1, 20)
    )
    assert summary.months == [date(2025, 1, 1), date(2025, 2, 1)]
    for name in CONTRACT.tables:
        lines = (tmp_path / name / "2025-02.csv").read_text().splitlines()
        assert (len(lines) > 1) == (name in ("reps", "teams")), name


def test_parquet_files_are_typed_and_hold_the_same_rows(landing, tmp_path):
    summary = generate(tmp_path, FIRST, LAST, file_format="parquet", **SMALL)

    def column_type(table: str, column: str) -> pa.DataType:
        return pq.read_schema(tmp_path / table / "2025-02.parquet").field(column).type

    assert pa.types.is_timestamp(column_type("orders", "ordered_at"))
    assert column_type("orders", "gross_amount") == pa.float64()
    assert column_type("ad_spend", "date") == pa.date32()
    assert column_type("order_items", "quantity") == pa.int64()
    assert column_type("budgets", "month") == pa.string()  # 'YYYY-MM', as the contract says
    for name in CONTRACT.tables:
        for month in MONTHS:
            parquet = pq.read_table(tmp_path / name / f"{month}.parquet")
            csv_rows = len(pd.read_csv(landing / name / f"{month}.csv"))
            assert parquet.column_names == CONTRACT.table(name).column_names
            assert parquet.num_rows == csv_rows, f"{name}/{month}"
    assert summary.rows["touchpoints"] == len(read(landing, "touchpoints"))


def test_touchpoints_grow_linearly_with_scale(tmp_path):
    def touchpoints(scale: float) -> int:
        summary = generate(tmp_path / str(scale), FIRST, FIRST, seed=5, scale=scale, as_of=AS_OF)
        return summary.rows["touchpoints"]

    assert 2.6 < touchpoints(0.6) / touchpoints(0.2) < 3.4


def test_the_demo_business_looks_like_one(landing):
    spend = read(landing, "ad_spend").astype({"impressions": int, "clicks": int, "spend": float})
    assert 0.01 <= spend["clicks"].sum() / spend["impressions"].sum() <= 0.03
    full_months = spend[spend["file_month"] != month_label(LAST)]
    monthly = full_months.groupby(["file_month", "campaign_id"])["spend"].sum()
    budgets = read(landing, "budgets").astype({"budget": float})
    budget = budgets.set_index(["month", "campaign_id"])["budget"].reindex(monthly.index)
    assert ((monthly / budget).between(0.8, 1.2)).all()

    reps, teams = read(landing, "reps"), read(landing, "teams")
    assert list(teams.loc[teams["parent_team_id"] == "", "team_id"].unique()) == ["t_sales"]
    assert 12 <= reps["rep_id"].nunique() <= 20
    assert set(reps["role"]) == {"sdr", "ae", "manager"}

    orders = read(landing, "orders")
    assert {"completed", "cancelled", "refunded"} <= set(orders["status"])
    customers = read(landing, "customers")
    assert 0.3 <= (customers["owner_rep_id"] != "").mean() <= 0.7
    touches = read(landing, "touchpoints")
    assert (touches.groupby("visitor_id").size() > 1).mean() > 0.3  # multi-touch journeys
    identified = touches[touches["customer_id"] != ""]
    assert identified.groupby("customer_id")["visitor_id"].nunique().max() == 1

    targets = read(landing, "targets")
    assert set(targets["entity_type"]) == {"company", "team", "rep", "channel", "campaign"}
    manual = read(landing, "manual_kpis")
    assert set(manual["kpi"]) == {"training_completion", "innovation_proposals", "compliance_rate"}


PROFILE_TABLES = {
    "ecommerce-no-ads": {"orders", "order_items", "customers", "refunds", "targets"},
    "b2b-crm": {"leads", "reps", "teams", "targets", "manual_kpis"},
}
PROFILE_BLANKS = {
    "ecommerce-no-ads": {"order_items": ["unit_cost"], "customers": ["email", "owner_rep_id"]},
    "b2b-crm": {"leads": ["customer_id"]},
}


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each partial profile generated with the same arguments as the full `landing`."""
    folders = {name: tmp_path_factory.mktemp(name) for name in PROFILE_TABLES}
    for name, folder in folders.items():
        generate(folder, FIRST, LAST, profile=name, **SMALL)
    return folders


def test_the_full_profile_is_the_default(landing, tmp_path):
    generate(tmp_path, FIRST, LAST, profile="full", **SMALL)
    files = [f"{name}/{month}.csv" for name in CONTRACT.tables for month in MONTHS]
    _, mismatched, errors = filecmp.cmpfiles(landing, tmp_path, files, shallow=False)
    assert (mismatched, errors) == ([], [])


@pytest.mark.parametrize("profile", PROFILE_TABLES)
def test_a_profile_writes_exactly_its_tables_and_blanks_its_columns(profiled, profile):
    folder = profiled[profile]
    assert {path.name for path in folder.iterdir()} == PROFILE_TABLES[profile]
    for table, columns in PROFILE_BLANKS[profile].items():
        rows = read(folder, table)
        assert len(rows) > 0 and (rows[columns] == "").all().all(), table


@pytest.mark.parametrize("profile", PROFILE_TABLES)
def test_a_profile_keeps_the_full_business_figures(landing, profiled, profile):
    """Same seed, same simulation: what a profile writes untouched is byte for byte full's."""
    untouched = PROFILE_TABLES[profile] - set(PROFILE_BLANKS[profile]) - {"targets"}
    files = [f"{name}/{month}.csv" for name in untouched for month in MONTHS]
    _, mismatched, errors = filecmp.cmpfiles(landing, profiled[profile], files, shallow=False)
    assert (mismatched, errors) == ([], [])
    for table, blanked in PROFILE_BLANKS[profile].items():
        kept = read(landing, table).drop(columns=blanked)
        assert read(profiled[profile], table).drop(columns=blanked).equals(kept), table


@pytest.mark.parametrize("profile", PROFILE_TABLES)
def test_a_profile_is_deterministic(profiled, profile, tmp_path):
    generate(tmp_path, FIRST, LAST, profile=profile, **SMALL)
    files = [f"{name}/{month}.csv" for name in PROFILE_TABLES[profile] for month in MONTHS]
    _, mismatched, errors = filecmp.cmpfiles(profiled[profile], tmp_path, files, shallow=False)
    assert (mismatched, errors) == ([], [])


def test_profiles_plan_only_what_their_tables_measure(landing, profiled):
    shop = read(profiled["ecommerce-no-ads"], "targets")
    assert set(zip(shop["entity_type"], shop["kpi"], strict=True)) == {
        ("company", "revenue"), ("company", "new_customers")
    }  # fmt: skip
    crm = read(profiled["b2b-crm"], "targets")
    assert set(crm["entity_type"]) == {"team", "rep", "channel"}
    assert not {"revenue", "roas", "cac", "complaint_rate"} & set(crm["kpi"])
    full = read(landing, "targets").set_index(["period", "entity_type", "entity_id", "kpi"])
    planned = crm.set_index(["period", "entity_type", "entity_id", "kpi"])
    assert planned["target_value"].equals(full.loc[planned.index, "target_value"])


def test_references_resolve_inside_each_profile(profiled):
    shop = profiled["ecommerce-no-ads"]
    orders = read(shop, "orders")
    assert set(orders["customer_id"]) <= set(read(shop, "customers")["customer_id"])
    assert set(read(shop, "order_items")["order_id"]) <= set(orders["order_id"])
    assert set(read(shop, "refunds")["order_id"]) <= set(orders["order_id"])
    crm = profiled["b2b-crm"]
    reps = read(crm, "reps")
    assert set(read(crm, "leads")["rep_id"]) <= set(reps["rep_id"])
    assert set(reps["team_id"]) <= set(read(crm, "teams")["team_id"])
    assert (read(crm, "leads")["origin_channel"] != "").all()


@pytest.mark.parametrize(
    ("profile", "problem"),
    [
        ({"description": "x", "tables": ["leads"]}, "leads.rep_id references reps"),
        ({"description": "x", "tables": ["orders"], "blank": {"orders": ["order_id"]}}, "a key"),
        ({"description": "x", "tables": ["teams"], "targets": {}}, "does not write the targets"),
        ({"description": "x", "targets": {"company": ["leads"]}}, "company leads is not in"),
        ({"description": "x", "tables": ["ledger"]}, "unknown table ledger"),
    ],
)
def test_a_bad_profile_names_the_problem(tmp_path, profile, problem):
    path = tmp_path / "profiles.yaml"
    path.write_text(yaml.safe_dump({"full": {"description": "all"}, "odd": profile}))
    with pytest.raises(ConfigError, match=problem):
        load_profiles(path)
