"""The demo business's assumptions (assumptions.yaml) as typed, validated objects."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.config import load_yaml_model
from pipelines.extract.contract import load_contract

ASSUMPTIONS_FILE = Path(__file__).with_name("assumptions.yaml")

Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
Weights = dict[str, Annotated[float, Field(ge=0)]]
Range = tuple[float, float]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Traffic(Strict):
    new_visitor_journeys: Positive
    monthly_growth: float
    seasonality: list[Positive] = Field(min_length=12, max_length=12)


class Journeys(Strict):
    touch_count_weights: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)
    mean_hours_between_touches: Positive
    conversion_rate: Share
    conversion_rate_per_extra_touch: Share
    lead_rate: Share
    minutes_to_convert: Range


class ChannelHabits(Strict):
    first_touch: float = Field(ge=0)
    later_touch: float = Field(ge=0)
    intent: Positive
    touch_types: Weights


class Campaign(Strict):
    name: str
    weight: Positive
    cpc: Positive | None = None
    ctr: Annotated[float, Field(gt=0, le=1)] | None = None


class AdPlatform(Strict):
    clicks_per_tracked_click: Positive
    daily_noise: float = Field(ge=0)
    budget_over_spend: Range


class Customers(Strict):
    regions: Weights
    owned_share: Share
    first_names: list[str] = Field(min_length=1)
    last_names: list[str] = Field(min_length=1)


class RepeatPurchases(Strict):
    rate_after_first_order: Share
    decay_months: Positive
    long_term_rate: Share
    with_touches_share: Share
    browse_rate: Share


class Products(Strict):
    count: int = Field(ge=1)
    median_price: Positive
    price_spread: float = Field(ge=0)
    price_range: Range
    margin_range: Range


class Orders(Strict):
    item_count_weights: list[float] = Field(min_length=1)
    quantity_weights: list[float] = Field(min_length=1)
    discount_share: Share
    discount_range: Range
    cancelled_share: Share
    refunded_share: Share
    full_refund_share: Share
    refund_partial_range: Range
    mean_days_to_refund: Positive


class Service(Strict):
    ticket_rate: Share
    ticket_rate_refunded: Share
    categories: Weights
    categories_refunded: Weights
    mean_days_to_open: Positive
    mean_hours_to_first_response: Positive
    mean_hours_to_resolve: Positive
    never_resolved_share: Share


class Surveys(Strict):
    response_rate: Share
    nps_share: Share
    mean_days_to_respond: Positive
    nps_weights: list[float] = Field(min_length=11, max_length=11)
    rating_weights: list[float] = Field(min_length=5, max_length=5)
    unhappy_nps_weights: list[float] = Field(min_length=11, max_length=11)
    unhappy_rating_weights: list[float] = Field(min_length=5, max_length=5)


class Leads(Strict):
    mql_share: Share
    sql_share_of_mql: Share
    win_share_of_sql: Share
    disqualified_share_before_mql: Share
    disqualified_share_after_mql: Share
    mean_days_to_mql: Positive
    mean_days_to_sql: Positive
    min_days_to_close: float = Field(ge=0)
    mean_days_to_close: Positive
    mean_days_to_disqualify: Positive
    median_deal_value: Positive
    deal_value_spread: float = Field(ge=0)
    stage_win_factor: dict[str, Positive]


class Team(Strict):
    team_id: str
    team_name: str
    parent_team_id: str | None
    stage: str


class Sales(Strict):
    teams: list[Team] = Field(min_length=1)
    rep_count: tuple[int, int]
    ae_share: Share
    hires_during_range: int = Field(ge=0)
    leavers_during_range: int = Field(ge=0)
    tenure_days_before_range: tuple[int, int]
    skill_spread: float = Field(ge=0)
    lead_weights: Weights
    owner_weights: Weights


class Plans(Strict):
    target_factor: Range
    significant_digits: int = Field(ge=1)
    target_kpis: dict[str, list[str]]
    training_completion: Range
    innovation_proposals_mean: float = Field(ge=0)
    compliance_rate: Range


class Assumptions(Strict):
    traffic: Traffic
    journeys: Journeys
    channels: dict[str, ChannelHabits]
    campaigns: dict[str, list[Campaign]]
    ad_platform: AdPlatform
    customers: Customers
    repeat_purchases: RepeatPurchases
    products: Products
    orders: Orders
    service: Service
    surveys: Surveys
    leads: Leads
    sales: Sales
    plans: Plans

    @model_validator(mode="after")
    def _within_contract(self) -> Assumptions:
        """Categories the assumptions name must be values the input contract allows."""
        tables = load_contract().tables
        allowed = {
            "touch type": set(tables["touchpoints"].columns["touch_type"].values or []),
            "ticket category": set(tables["tickets"].columns["category"].values or []),
            "team stage": set(tables["teams"].columns["stage"].values or []),
        }
        named = {
            "touch type": {t for c in self.channels.values() for t in c.touch_types},
            "ticket category": set(self.service.categories) | set(self.service.categories_refunded),
            "team stage": {t.stage for t in self.sales.teams} | set(self.leads.stage_win_factor),
        }
        for what, names in named.items():
            if not names <= allowed[what]:
                raise ValueError(f"unknown {what} {sorted(names - allowed[what])}")
        if list(self.service.categories) != list(self.service.categories_refunded):
            raise ValueError("service.categories and categories_refunded must list the same ones")
        if "complaint" not in self.service.categories:
            raise ValueError("service.categories must include complaint")
        return self


@cache
def load_assumptions(path: Path = ASSUMPTIONS_FILE) -> Assumptions:
    return load_yaml_model(Assumptions, path)
