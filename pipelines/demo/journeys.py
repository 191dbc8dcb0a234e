"""Visitor journeys: multi-touch paths over days and weeks, ending in a purchase, a lead or nothing.

All journeys of a month are drawn at once: touch counts, gaps, channels, campaigns and touch types
are arrays over every touch, never a loop over visitors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from pipelines.demo.assumptions import Assumptions
from pipelines.demo.draws import draw, waits
from pipelines.demo.tables import Rows, build, labels, text_ids, timestamps
from pipelines.demo.timeline import HOUR, MINUTE, month_numbers
from pipelines.demo.world import World, pick_campaigns
from pipelines.extract.contract import load_contract

TOUCH_TYPES: list[str] = load_contract().table("touchpoints").columns["touch_type"].values or []


class Intent(IntEnum):
    """What a journey is for: a new visitor may buy or leave a lead; known customers were drawn
    as returning buyers or as browsers beforehand."""

    NEW_VISITOR = 0
    RETURNING_BUYER = 1
    BROWSER = 2


@dataclass(frozen=True)
class Touches:
    journey: np.ndarray  # the journey each touch belongs to
    at: np.ndarray  # seconds
    channel: np.ndarray  # channel code
    campaign: np.ndarray  # campaign code, -1 for none
    touch_type: np.ndarray  # index into TOUCH_TYPES
    last: np.ndarray  # the final touch of its journey

    def subset(self, keep: np.ndarray) -> Touches:
        return Touches(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class Journeys:
    touches: Touches  # only those before the cutoff
    buys: np.ndarray  # ends in an order (before the cutoff)
    leads: np.ndarray  # ends in a lead form instead (before the cutoff)
    converted_at: np.ndarray  # when the order or lead form happens (minutes after the last touch)
    origin_channel: np.ndarray  # the first touch's channel code
    origin_campaign: np.ndarray  # the first touch's campaign code or -1


def simulate_journeys(
    rng: np.random.Generator,
    world: World,
    assumptions: Assumptions,
    starts: np.ndarray,
    intent: np.ndarray,
    cutoff: int,
) -> Journeys:
    """Journeys from `starts` (seconds), one `Intent` each; nothing at or after `cutoff`."""
    spec = assumptions.journeys
    touch_count = draw(rng, spec.touch_count_weights, len(starts)) + 1
    journey = np.repeat(np.arange(len(starts)), touch_count)
    first_position = np.cumsum(touch_count) - touch_count
    is_first = np.zeros(len(journey), dtype=bool)
    is_first[first_position] = True
    is_last = np.zeros(len(journey), dtype=bool)
    is_last[first_position + touch_count - 1] = True

    gaps = waits(rng, spec.mean_hours_between_touches, HOUR, len(journey))
    gaps[is_first] = 0
    elapsed = np.cumsum(gaps)
    at = starts[journey] + elapsed - np.repeat(elapsed[first_position], touch_count)

    channel = _channels(rng, assumptions, world, is_first & (intent[journey] == Intent.NEW_VISITOR))
    campaign = pick_campaigns(rng, world.campaigns, channel)
    touch_type = _touch_types(rng, assumptions, world, channel)

    habits = [assumptions.channels[name] for name in world.channels]
    touch_intent = np.array([h.intent for h in habits])[channel]
    mean_intent = np.bincount(journey, weights=touch_intent) / touch_count
    buy_rate = spec.conversion_rate + spec.conversion_rate_per_extra_touch * (touch_count - 1)
    buys = np.where(
        intent == Intent.NEW_VISITOR,
        rng.random(len(starts)) < buy_rate * mean_intent,
        intent == Intent.RETURNING_BUYER,
    )
    leaves_lead = rng.random(len(starts)) < spec.lead_rate * mean_intent
    leads = (intent == Intent.NEW_VISITOR) & ~buys & leaves_lead
    minutes = rng.uniform(*spec.minutes_to_convert, len(starts))
    converted_at = at[is_last] + (minutes * MINUTE).astype(np.int64)
    in_time = converted_at < cutoff

    touches = Touches(journey, at, channel, campaign, touch_type, is_last)
    return Journeys(
        touches=touches.subset(at < cutoff),
        buys=buys & in_time,
        leads=leads & in_time,
        converted_at=converted_at,
        origin_channel=channel[is_first],
        origin_campaign=campaign[is_first],
    )


def _channels(
    rng: np.random.Generator, assumptions: Assumptions, world: World, opens_journey: np.ndarray
) -> np.ndarray:
    """A channel per touch: the first-touch mix where a new visitor's journey opens, else later."""
    habits = [assumptions.channels[name] for name in world.channels]
    channel = np.empty(len(opens_journey), dtype=np.int64)
    channel[opens_journey] = draw(rng, [h.first_touch for h in habits], int(opens_journey.sum()))
    channel[~opens_journey] = draw(
        rng, [h.later_touch for h in habits], int((~opens_journey).sum())
    )
    return channel


def _touch_types(
    rng: np.random.Generator, assumptions: Assumptions, world: World, channel: np.ndarray
) -> np.ndarray:
    """How each touch was recorded, from its channel's mix (paid: impression/click, ...)."""
    touch_type = np.empty(len(channel), dtype=np.int64)
    for code, name in enumerate(world.channels):
        mix = assumptions.channels[name].touch_types
        touches = np.flatnonzero(channel == code)
        types = np.array([TOUCH_TYPES.index(t) for t in mix])
        touch_type[touches] = types[draw(rng, list(mix.values()), len(touches))]
    return touch_type


def touchpoints_table(
    world: World, touches: Touches, numbers: np.ndarray, visitor: np.ndarray, customer: np.ndarray
) -> Rows:
    """The touchpoints rows (visitor and customer numbers per touch, -1 = none) and their months."""
    table = build(
        "touchpoints",
        {
            "touchpoint_id": text_ids("touch", numbers),
            "visitor_id": text_ids("visitor", visitor),
            "customer_id": text_ids("customer", customer),
            "occurred_at": timestamps(touches.at),
            "channel": labels(world.channels, touches.channel),
            "campaign_id": labels(world.campaigns.ids, touches.campaign),
            "touch_type": labels(TOUCH_TYPES, touches.touch_type),
        },
    )
    return table, month_numbers(touches.at)
