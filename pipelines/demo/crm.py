"""The CRM: leads from website visitors, worked by reps until won, lost or disqualified.

A lead's whole life is drawn when it is created; the leads files are change data: the lead
appears in every month in which it changed, with its state as of that month's end."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipelines.demo.assumptions import Assumptions
from pipelines.demo.draws import waits
from pipelines.demo.tables import Rows, build, labels, text_ids, timestamps
from pipelines.demo.timeline import DAY, HOUR, month_numbers, month_starts
from pipelines.demo.world import NEVER, World, pick_reps

STATUSES = ["open", "won", "lost", "disqualified"]
OPEN, WON, LOST, DISQUALIFIED = range(4)


@dataclass(frozen=True)
class Leads:
    """Leads and their lifecycle; a stage not reached before the cutoff is NEVER."""

    numbers: np.ndarray
    created_at: np.ndarray
    visitor: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray
    rep: np.ndarray
    mql_at: np.ndarray
    sql_at: np.ndarray
    closed_at: np.ndarray
    outcome: np.ndarray  # index into STATUSES once closed
    deal_value: np.ndarray  # NaN unless won

    @property
    def won(self) -> np.ndarray:
        return (self.outcome == WON) & (self.closed_at != NEVER)


def simulate_leads(
    rng: np.random.Generator,
    assumptions: Assumptions,
    world: World,
    numbers: np.ndarray,
    created_at: np.ndarray,
    visitor: np.ndarray,
    channel: np.ndarray,
    campaign: np.ndarray,
    cutoff: int,
) -> Leads:
    """Each lead goes to a rep employed at its creation; a rep's skill and team stage move it on."""
    spec = assumptions.leads
    count = len(numbers)
    rep = pick_reps(rng, world.reps, created_at, assumptions.sales.lead_weights)
    skill = world.reps.skill[rep]
    stage_factor = np.array([spec.stage_win_factor[s] for s in world.stage_of_reps()])[rep]

    is_mql = rng.random(count) < spec.mql_share
    is_sql = is_mql & (rng.random(count) < np.clip(spec.sql_share_of_mql * skill, 0, 0.95))
    wins = rng.random(count) < np.clip(spec.win_share_of_sql * skill * stage_factor, 0, 0.95)
    disqualified = np.where(
        is_mql,
        ~is_sql & (rng.random(count) < spec.disqualified_share_after_mql),
        rng.random(count) < spec.disqualified_share_before_mql,
    )

    mql_at = created_at + HOUR + waits(rng, spec.mean_days_to_mql, DAY, count)
    sql_at = mql_at + HOUR + waits(rng, spec.mean_days_to_sql, DAY, count)
    decided_at = (
        sql_at + int(spec.min_days_to_close * DAY) + waits(rng, spec.mean_days_to_close, DAY, count)
    )
    disqualified_at = (
        np.where(is_mql, mql_at, created_at)
        + HOUR
        + waits(rng, spec.mean_days_to_disqualify, DAY, count)
    )
    closed_at = np.select([is_sql, disqualified], [decided_at, disqualified_at], NEVER)
    outcome = np.select([is_sql & wins, is_sql, disqualified], [WON, LOST, DISQUALIFIED], OPEN)
    deal_value = np.round(
        rng.lognormal(np.log(spec.median_deal_value), spec.deal_value_spread, count) * skill, -1
    )

    def by_cutoff(moments: np.ndarray, reached: np.ndarray) -> np.ndarray:
        return np.where(reached & (moments < cutoff), moments, NEVER)

    closed_at = by_cutoff(closed_at, closed_at != NEVER)
    return Leads(
        numbers=numbers,
        created_at=created_at,
        visitor=visitor,
        channel=channel,
        campaign=campaign,
        rep=rep,
        mql_at=by_cutoff(mql_at, is_mql),
        sql_at=by_cutoff(sql_at, is_sql),
        closed_at=closed_at,
        outcome=outcome,
        deal_value=np.where(outcome == WON, deal_value, np.nan),
    )


def lead_rows(world: World, leads: Leads, customer: np.ndarray) -> Rows:
    """One row per lead and month in which it changed, as of that month's end, with its month.

    `customer`: the customer number a won lead became (-1 otherwise), shown once it is won."""
    stages = np.stack([leads.created_at, leads.mql_at, leads.sql_at, leads.closed_at], axis=1)
    lead = np.repeat(np.arange(len(leads.numbers)), stages.shape[1])
    reached = stages.ravel() != NEVER
    changes = np.unique(
        np.stack([lead[reached], month_numbers(stages.ravel()[reached])], axis=1), axis=0
    )
    which, month = changes[:, 0], changes[:, 1]
    month_end = month_starts(month + 1)

    def as_of_month_end(moments: np.ndarray) -> pa.Array:
        shown = moments[which]
        return timestamps(shown, missing=shown >= month_end)

    closed = leads.closed_at[which] < month_end
    won = closed & leads.won[which]
    final_sql_at = leads.sql_at[which]
    table = build(
        "leads",
        {
            "lead_id": text_ids("lead", leads.numbers[which]),
            "created_at": timestamps(leads.created_at[which]),
            "visitor_id": text_ids("visitor", leads.visitor[which]),
            "customer_id": text_ids("customer", np.where(won, customer[which], -1)),
            "origin_channel": labels(world.channels, leads.channel[which]),
            "campaign_id": labels(world.campaigns.ids, leads.campaign[which]),
            "mql_at": as_of_month_end(leads.mql_at),
            "sql_at": as_of_month_end(leads.sql_at),
            "rep_id": labels(world.reps.ids, leads.rep[which]),
            "status": labels(STATUSES, np.where(closed, leads.outcome[which], OPEN)),
            "closed_at": as_of_month_end(leads.closed_at),
            "deal_value": pa.array(leads.deal_value[which], mask=~won),
            "_sql_at": timestamps(final_sql_at, missing=final_sql_at == NEVER),
        },
    )
    return table, month
