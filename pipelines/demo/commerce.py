"""The shop: customers, their orders and order lines, refunds, service tickets and surveys.

Everything about an order is decided when it is placed, including what happens to it later
(a refund, a ticket, a survey); rows dated at or after the cutoff are simply not there yet."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipelines.demo.assumptions import Assumptions
from pipelines.demo.draws import draw, waits
from pipelines.demo.tables import (
    CURRENCY,
    Numbering,
    Rows,
    amounts,
    build,
    constant,
    labels,
    text_ids,
    timestamps,
)
from pipelines.demo.timeline import DAY, HOUR, MINUTE, month_numbers
from pipelines.demo.world import World

NPS_SCALE, RATING_SCALE = "nps_0_10", "rating_1_5"
COMPLAINT = "complaint"


def customers_rows(
    rng: np.random.Generator,
    assumptions: Assumptions,
    world: World,
    numbers: np.ndarray,
    created_at: np.ndarray,
    owner: np.ndarray,
) -> Rows:
    """Customers created at `created_at`, each owned by rep code `owner` (-1 = nobody)."""
    spec = assumptions.customers
    first = rng.choice(np.array(spec.first_names), len(numbers))
    last = rng.choice(np.array(spec.last_names), len(numbers))
    email = np.char.add(np.char.add(np.char.add(first, "."), last), numbers.astype(str))
    table = build(
        "customers",
        {
            "customer_id": text_ids("customer", numbers),
            "created_at": timestamps(created_at),
            "email": np.char.add(email, "@example.com"),
            "region": labels(
                list(spec.regions), draw(rng, list(spec.regions.values()), len(numbers))
            ),
            "owner_rep_id": labels(world.reps.ids, owner),
        },
    )
    return table, month_numbers(created_at)


@dataclass(frozen=True)
class Purchases:
    """Orders about to be placed: who, when, whether it is the customer's first, their owner."""

    customer: np.ndarray
    at: np.ndarray
    first_order: np.ndarray
    owner: np.ndarray


def order_rows(
    rng: np.random.Generator,
    assumptions: Assumptions,
    world: World,
    purchases: Purchases,
    order_numbers: np.ndarray,
    numbering: Numbering,
    cutoff: int,
) -> dict[str, Rows]:
    """orders, order_items, refunds, tickets and surveys of these purchases."""
    spec = assumptions.orders
    count = len(order_numbers)
    order_ids = text_ids("order", order_numbers)

    lines = draw(rng, spec.item_count_weights, count) + 1
    line_order = np.repeat(np.arange(count), lines)
    line_no = np.arange(len(line_order)) - np.repeat(np.cumsum(lines) - lines, lines) + 1
    product = draw(rng, world.products.popularity, len(line_order))
    quantity = draw(rng, spec.quantity_weights, len(line_order)) + 1
    unit_price = world.products.price[product]
    gross = amounts(np.bincount(line_order, weights=quantity * unit_price, minlength=count))
    discounted = rng.random(count) < spec.discount_share
    discount = amounts(gross * rng.uniform(*spec.discount_range, count) * discounted)

    status_draw = rng.random(count)
    cancelled = status_draw < spec.cancelled_share
    wants_refund = ~cancelled & (status_draw < spec.cancelled_share + spec.refunded_share)
    refund_at = purchases.at + DAY + waits(rng, spec.mean_days_to_refund, DAY, count)
    refunded = wants_refund & (refund_at < cutoff)
    net = gross - discount
    partial = rng.uniform(*spec.refund_partial_range, count)
    refund_amount = amounts(
        np.where(rng.random(count) < spec.full_refund_share, net, net * partial)
    )
    status = np.select([cancelled, refunded], ["cancelled", "refunded"], "completed")
    owner_ids = labels(world.reps.ids, purchases.owner)

    rows = {
        "orders": (
            build(
                "orders",
                {
                    "order_id": order_ids,
                    "customer_id": text_ids("customer", purchases.customer),
                    "ordered_at": timestamps(purchases.at),
                    "status": status,
                    "currency": constant(CURRENCY, count),
                    "gross_amount": gross,
                    "discount_amount": discount,
                    "_owner_rep_id": owner_ids,
                    "_first_order": purchases.first_order,
                    "_net_revenue": np.where(cancelled, 0.0, net - refund_amount * refunded),
                },
            ),
            month_numbers(purchases.at),
        ),
        "order_items": (
            build(
                "order_items",
                {
                    "order_id": order_ids.take(pa.array(line_order)),
                    "line_no": line_no,
                    "product_id": labels(world.products.ids, product),
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "unit_cost": world.products.cost[product],
                },
            ),
            month_numbers(purchases.at[line_order]),
        ),
        "refunds": _refund_rows(numbering, order_ids, refunded, refund_at, refund_amount),
    }
    tickets, complained = _ticket_rows(
        rng, assumptions, numbering, purchases, order_ids, owner_ids, cancelled, refunded, cutoff
    )
    rows["tickets"] = tickets
    rows["surveys"] = _survey_rows(
        rng, assumptions, numbering, purchases, order_ids, cancelled, refunded | complained, cutoff
    )
    return rows


def _refund_rows(
    numbering: Numbering,
    order_ids: pa.Array,
    refunded: np.ndarray,
    refund_at: np.ndarray,
    refund_amount: np.ndarray,
) -> Rows:
    which = np.flatnonzero(refunded)
    table = build(
        "refunds",
        {
            "refund_id": text_ids("refund", numbering.take("refund", len(which))),
            "order_id": order_ids.take(pa.array(which)),
            "refunded_at": timestamps(refund_at[which]),
            "amount": refund_amount[which],
        },
    )
    return table, month_numbers(refund_at[which])


def _ticket_rows(
    rng: np.random.Generator,
    assumptions: Assumptions,
    numbering: Numbering,
    purchases: Purchases,
    order_ids: pa.Array,
    owner_ids: pa.Array,
    cancelled: np.ndarray,
    refunded: np.ndarray,
    cutoff: int,
) -> tuple[Rows, np.ndarray]:
    """Tickets about the orders, and which orders got a complaint (to sour their surveys)."""
    spec = assumptions.service
    count = len(cancelled)
    rate = np.where(refunded, spec.ticket_rate_refunded, spec.ticket_rate)
    opened_at = purchases.at + HOUR + waits(rng, spec.mean_days_to_open, DAY, count)
    has_ticket = ~cancelled & (rng.random(count) < rate) & (opened_at < cutoff)
    category = np.where(
        refunded,
        draw(rng, list(spec.categories_refunded.values()), count),
        draw(rng, list(spec.categories.values()), count),
    )
    names = list(spec.categories)
    response_at = (
        opened_at + 5 * MINUTE + waits(rng, spec.mean_hours_to_first_response, HOUR, count)
    )
    resolved_at = response_at + waits(rng, spec.mean_hours_to_resolve, HOUR, count)
    never_resolved = rng.random(count) < spec.never_resolved_share

    which = np.flatnonzero(has_ticket)
    opened, response, resolved = opened_at[which], response_at[which], resolved_at[which]
    table = build(
        "tickets",
        {
            "ticket_id": text_ids("ticket", numbering.take("ticket", len(which))),
            "customer_id": text_ids("customer", purchases.customer[which]),
            "order_id": order_ids.take(pa.array(which)),
            "opened_at": timestamps(opened),
            "first_response_at": timestamps(response, missing=response >= cutoff),
            "resolved_at": timestamps(
                resolved, missing=(resolved >= cutoff) | never_resolved[which]
            ),
            "category": labels(names, category[which]),
            "_owner_rep_id": owner_ids.take(pa.array(which)),
        },
    )
    complained = has_ticket & (category == names.index(COMPLAINT))
    return (table, month_numbers(opened)), complained


def _survey_rows(
    rng: np.random.Generator,
    assumptions: Assumptions,
    numbering: Numbering,
    purchases: Purchases,
    order_ids: pa.Array,
    cancelled: np.ndarray,
    unhappy: np.ndarray,
    cutoff: int,
) -> Rows:
    """Answers to some orders: half NPS (0-10), half ratings (1-5); unhappy orders score low."""
    spec = assumptions.surveys
    count = len(cancelled)
    responded_at = purchases.at + DAY + waits(rng, spec.mean_days_to_respond, DAY, count)
    answers = ~cancelled & (rng.random(count) < spec.response_rate) & (responded_at < cutoff)
    nps = rng.random(count) < spec.nps_share
    nps_score = np.where(
        unhappy, draw(rng, spec.unhappy_nps_weights, count), draw(rng, spec.nps_weights, count)
    )
    rating = 1 + np.where(
        unhappy,
        draw(rng, spec.unhappy_rating_weights, count),
        draw(rng, spec.rating_weights, count),
    )
    which = np.flatnonzero(answers)
    table = build(
        "surveys",
        {
            "response_id": text_ids("survey", numbering.take("survey", len(which))),
            "customer_id": text_ids("customer", purchases.customer[which]),
            "order_id": order_ids.take(pa.array(which)),
            "responded_at": timestamps(responded_at[which]),
            "score": np.where(nps, nps_score, rating)[which],
            "scale": np.where(nps, NPS_SCALE, RATING_SCALE)[which],
        },
    )
    return table, month_numbers(responded_at[which])
