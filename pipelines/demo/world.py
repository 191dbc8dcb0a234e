"""The demo business's fixed cast: channels, campaigns, products, sales teams and reps.

Built once per run from the seed; every monthly simulation draws from it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipelines.config import ConfigError, PipelineConfig
from pipelines.demo.assumptions import Assumptions, Team
from pipelines.demo.draws import draw
from pipelines.demo.tables import build, dates, labels
from pipelines.demo.timeline import DAY

NEVER = np.iinfo(np.int64).max  # `left` of a rep who has not left


@dataclass(frozen=True)
class Campaigns:
    """Every campaign, one array position each (its code)."""

    ids: list[str]
    names: list[str]
    channel: np.ndarray  # channel code
    weight: np.ndarray  # share of its channel's touches, relative to its siblings
    cpc: np.ndarray  # NaN for unpaid (email) campaigns
    ctr: np.ndarray


@dataclass(frozen=True)
class Products:
    ids: list[str]
    price: np.ndarray
    cost: np.ndarray
    popularity: np.ndarray  # probabilities


@dataclass(frozen=True)
class Reps:
    """Every rep over the whole range, ordered by hiring date (rep_01 is the most senior)."""

    ids: list[str]
    names: list[str]
    team: list[str]
    role: list[str]
    hired: np.ndarray  # seconds, midnight of the hiring day
    left: np.ndarray  # seconds, midnight of the leaving day, NEVER if still employed
    skill: np.ndarray  # multiplies the chance of moving a lead forward
    training_level: np.ndarray  # usual share of assigned training completed

    def active(self, at: np.ndarray) -> np.ndarray:
        """Boolean matrix moments x reps: employed at that moment."""
        moments = at[:, None]
        return (self.hired[None, :] <= moments) & (moments < self.left[None, :])


@dataclass(frozen=True)
class World:
    channels: list[str]
    paid_channels: np.ndarray  # bool per channel code
    campaigns: Campaigns
    products: Products
    teams: list[Team]
    reps: Reps

    @property
    def paid_campaigns(self) -> np.ndarray:
        """Codes of the campaigns of paid channels."""
        return np.flatnonzero(self.paid_channels[self.campaigns.channel])

    def subtree(self, team_id: str) -> list[str]:
        """The team and every team below it."""
        children = [t.team_id for t in self.teams if t.parent_team_id == team_id]
        return [team_id] + [t for child in children for t in self.subtree(child)]

    def reps_of(self, team_id: str) -> np.ndarray:
        """Codes of the reps in the team or any team below it."""
        teams = set(self.subtree(team_id))
        return np.flatnonzero([team in teams for team in self.reps.team])

    def team_members(self) -> np.ndarray:
        """Matrix teams x reps: 1 where the rep is in the team or a team below it."""
        members = np.zeros((len(self.teams), len(self.reps.ids)))
        for row, team in enumerate(self.teams):
            members[row, self.reps_of(team.team_id)] = 1
        return members

    def stage_of_reps(self) -> list[str]:
        """The stage of each rep's team (new_business, mature)."""
        stage = {t.team_id: t.stage for t in self.teams}
        return [stage[team] for team in self.reps.team]


def build_world(
    rng: np.random.Generator,
    assumptions: Assumptions,
    config: PipelineConfig,
    range_start: int,
    range_end: int,
) -> World:
    """The cast of a run whose months span [range_start, range_end) in seconds."""
    channels = list(config.channels)
    _check_channels(assumptions, config)
    return World(
        channels=channels,
        paid_channels=np.array([config.channels[c].paid for c in channels]),
        campaigns=_campaigns(assumptions, channels),
        products=_products(rng, assumptions),
        teams=list(assumptions.sales.teams),
        reps=_reps(rng, assumptions, range_start, range_end),
    )


def _check_channels(assumptions: Assumptions, config: PipelineConfig) -> None:
    """The assumptions must describe exactly the configured channels, and every paid one's costs."""
    configured, described = set(config.channels), set(assumptions.channels)
    if configured != described:
        raise ConfigError(
            f"demo assumptions describe channels {sorted(described)}, but config/pipeline.yaml "
            f"has {sorted(configured)}; add or remove them in pipelines/demo/assumptions.yaml"
        )
    for channel in config.paid_channels:
        campaigns = assumptions.campaigns.get(channel, [])
        if not campaigns or any(c.cpc is None or c.ctr is None for c in campaigns):
            raise ConfigError(
                f"demo assumptions: paid channel '{channel}' needs campaigns with cpc and ctr"
            )
    unknown = set(assumptions.campaigns) - configured
    if unknown:
        raise ConfigError(f"demo assumptions: campaigns of unknown channels {sorted(unknown)}")


def _campaigns(assumptions: Assumptions, channels: list[str]) -> Campaigns:
    rows = [
        (f"cmp_{channel}_{number:02d}", campaign, channels.index(channel))
        for channel in channels
        for number, campaign in enumerate(assumptions.campaigns.get(channel, []), start=1)
    ]
    return Campaigns(
        ids=[campaign_id for campaign_id, _, _ in rows],
        names=[campaign.name for _, campaign, _ in rows],
        channel=np.array([code for _, _, code in rows]),
        weight=np.array([campaign.weight for _, campaign, _ in rows]),
        cpc=np.array([np.nan if c.cpc is None else c.cpc for _, c, _ in rows]),
        ctr=np.array([np.nan if c.ctr is None else c.ctr for _, c, _ in rows]),
    )


def _products(rng: np.random.Generator, assumptions: Assumptions) -> Products:
    spec = assumptions.products
    raw_price = rng.lognormal(np.log(spec.median_price), spec.price_spread, spec.count)
    price = np.floor(np.clip(raw_price, *spec.price_range)) + 0.99  # shop prices end in .99
    margin = rng.uniform(*spec.margin_range, spec.count)
    popularity = rng.permutation(1 / np.arange(1, spec.count + 1) ** 0.8)
    return Products(
        ids=[f"prd_{number:03d}" for number in range(1, spec.count + 1)],
        price=price,
        cost=np.round(price * (1 - margin), 2),
        popularity=popularity / popularity.sum(),
    )


def _reps(
    rng: np.random.Generator, assumptions: Assumptions, range_start: int, range_end: int
) -> Reps:
    """A manager per team; the other reps spread over the teams below the root.

    Most were hired before the range; a few join and a few leave during it."""
    sales = assumptions.sales
    teams = [t.team_id for t in sales.teams]
    member_teams = [t.team_id for t in sales.teams if t.parent_team_id is not None] or teams
    member_count = max(
        int(rng.integers(sales.rep_count[0], sales.rep_count[1] + 1)) - len(teams), 0
    )
    extra = rng.choice(member_teams, max(member_count - len(member_teams), 0)).tolist()
    team = teams + (member_teams + extra)[:member_count]  # every team gets a member first
    is_ae = rng.random(member_count) < sales.ae_share
    role = ["manager"] * len(teams) + ["ae" if ae else "sdr" for ae in is_ae]
    count = len(team)

    tenure_days = rng.integers(*sales.tenure_days_before_range, count)
    hired = range_start - tenure_days * DAY
    left = np.full(count, NEVER)
    span_days = max((range_end - range_start) // DAY, 1)
    members = np.arange(len(teams), count)
    newcomers = members[len(members) - min(sales.hires_during_range, len(members)) :]
    hired[newcomers] = range_start + rng.integers(0, int(span_days * 0.9) + 1, len(newcomers)) * DAY
    veterans = np.setdiff1d(members, newcomers)
    leavers = rng.choice(veterans, min(sales.leavers_during_range, len(veterans)), replace=False)
    left[leavers] = range_start + rng.integers(span_days // 10, span_days, len(leavers)) * DAY

    first, last = assumptions.customers.first_names, assumptions.customers.last_names
    name_codes = rng.choice(len(first) * len(last), count, replace=False)
    names = [f"{first[c // len(last)].title()} {last[c % len(last)].title()}" for c in name_codes]
    skill = np.exp(rng.normal(0, sales.skill_spread, count))
    training = rng.uniform(*assumptions.plans.training_completion, count)

    order = np.argsort(hired, kind="stable")
    return Reps(
        ids=[f"rep_{number:02d}" for number in range(1, count + 1)],
        names=[names[i] for i in order],
        team=[team[i] for i in order],
        role=[role[i] for i in order],
        hired=hired[order],
        left=left[order],
        skill=skill[order],
        training_level=training[order],
    )


def pick_reps(
    rng: np.random.Generator, reps: Reps, at: np.ndarray, role_weights: dict[str, float]
) -> np.ndarray:
    """For each moment, a rep employed then, drawn by role weight; -1 if nobody is employed."""
    weight = np.array([role_weights.get(role, 0.0) for role in reps.role])
    cumulative = np.cumsum(reps.active(at) * weight[None, :], axis=1)
    total = cumulative[:, -1] if len(reps.ids) else np.zeros(len(at))
    point = rng.random(len(at)) * total
    chosen = (cumulative <= point[:, None]).sum(axis=1)
    return np.where(total > 0, chosen, -1)


def pick_campaigns(
    rng: np.random.Generator, campaigns: Campaigns, channel: np.ndarray
) -> np.ndarray:
    """A campaign of each touch's channel, by campaign weight; -1 for channels without any."""
    campaign = np.full(len(channel), -1)
    for code in np.unique(campaigns.channel):
        touches = np.flatnonzero(channel == code)
        siblings = np.flatnonzero(campaigns.channel == code)
        weights = campaigns.weight[siblings]
        campaign[touches] = siblings[draw(rng, weights, len(touches))]
    return campaign


def teams_table(world: World) -> pa.Table:
    teams = world.teams
    return build(
        "teams",
        {
            "team_id": [t.team_id for t in teams],
            "team_name": [t.team_name for t in teams],
            "parent_team_id": [t.parent_team_id for t in teams],
            "stage": [t.stage for t in teams],
        },
    )


def reps_table(world: World, known_at: int) -> pa.Table:
    """Every rep hired before `known_at` (seconds), with left_at once they have left by then."""
    reps = world.reps
    hired = np.flatnonzero(reps.hired < known_at)
    return build(
        "reps",
        {
            "rep_id": labels(reps.ids, hired),
            "rep_name": labels(reps.names, hired),
            "team_id": labels(reps.team, hired),
            "role": labels(reps.role, hired),
            "hired_at": dates(reps.hired[hired]),
            "left_at": dates(reps.left[hired], missing=reps.left[hired] >= known_at),
        },
    )
