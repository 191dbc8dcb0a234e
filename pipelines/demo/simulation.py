"""One month of the demo business at a time: who visits, who buys, who becomes a lead.

The business carries what outlives a month (its customers, running id numbers, rows dated in
later months) and hands over, per month, every table as its files should hold it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pipelines.config import PipelineConfig
from pipelines.demo.assumptions import Assumptions
from pipelines.demo.backlog import Backlog
from pipelines.demo.commerce import Purchases, customers_rows, order_rows
from pipelines.demo.credits import order_credits_rows
from pipelines.demo.crm import lead_rows, simulate_leads
from pipelines.demo.journeys import Intent, Journeys, simulate_journeys, touchpoints_table
from pipelines.demo.plans import manual_kpis_table, targets_table
from pipelines.demo.spend import ad_spend_table, budget_table
from pipelines.demo.tables import Numbering, Rows
from pipelines.demo.timeline import DAY, Window
from pipelines.demo.world import World, pick_reps, reps_table, teams_table

# Tables whose rows are simulated ahead and wait in the backlog for their month.
SIMULATED_TABLES = (
    "touchpoints",
    "customers",
    "orders",
    "order_items",
    "refunds",
    "tickets",
    "surveys",
    "leads",
    "order_credits",
)
AVERAGE_MONTH = 30.44 * DAY


@dataclass
class CustomerBase:
    """Every customer so far: number, visitor number, creation time (seconds), owner rep code."""

    number: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    visitor: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    created_at: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def add(
        self, number: np.ndarray, visitor: np.ndarray, created_at: np.ndarray, owner: np.ndarray
    ) -> None:
        self.number = np.concatenate([self.number, number])
        self.visitor = np.concatenate([self.visitor, visitor])
        self.created_at = np.concatenate([self.created_at, created_at])
        self.owner = np.concatenate([self.owner, owner])


@dataclass(frozen=True)
class Visits:
    """This month's journeys: who makes them (customer -1 = anonymous) and what for."""

    visitor: np.ndarray
    customer: np.ndarray
    owner: np.ndarray
    intent: np.ndarray


class Business:
    """The demo business over a run: call `month` for each month, in order."""

    def __init__(
        self,
        rng: np.random.Generator,
        assumptions: Assumptions,
        config: PipelineConfig,
        world: World,
        *,
        scale: float,
        first_month: Window,
        cutoff: int,
    ) -> None:
        self.rng, self.assumptions, self.config, self.world = rng, assumptions, config, world
        self.scale, self.first_month, self.cutoff = scale, first_month, cutoff
        self.backlog = Backlog()
        self.numbering = Numbering()
        self.customers = CustomerBase()

    def month(self, window: Window) -> dict[str, pa.Table]:
        """Simulate the month, then every table's rows for its files (with hidden columns)."""
        if window.start < self.cutoff:
            self._simulate(window)
        tables = {name: self.backlog.take(name, window.number) for name in SIMULATED_TABLES}
        rng, assumptions, world, cutoff = self.rng, self.assumptions, self.world, self.cutoff
        tables["ad_spend"] = ad_spend_table(
            rng, assumptions, world, window, cutoff, tables["touchpoints"]
        )
        tables["budgets"] = budget_table(
            rng, assumptions, world, window, cutoff, tables["ad_spend"]
        )
        tables["teams"] = teams_table(world)
        tables["reps"] = reps_table(world, min(window.end, cutoff))
        tables["targets"] = targets_table(rng, assumptions, world, window, cutoff, tables)
        tables["manual_kpis"] = manual_kpis_table(rng, assumptions, world, window, cutoff)
        return tables

    def _simulate(self, window: Window) -> None:
        visits, direct_buyers = self._visits(window)
        starts = window.start + self.rng.integers(0, window.end - window.start, len(visits.intent))
        journeys = simulate_journeys(
            self.rng, self.world, self.assumptions, starts, visits.intent, self.cutoff
        )
        visits = self._register_new_buyers(visits, journeys)
        self._hold_touchpoints(visits, journeys)
        self._place_orders(window, visits, journeys, direct_buyers)
        self._work_leads(visits, journeys)

    def _register_new_buyers(self, visits: Visits, journeys: Journeys) -> Visits:
        """A new visitor who buys becomes a customer at that order, maybe owned by a rep; the
        visits with those customers filled in."""
        rng, assumptions = self.rng, self.assumptions
        new_buyers = np.flatnonzero(journeys.buys & (visits.intent == Intent.NEW_VISITOR))
        bought_at = journeys.converted_at[new_buyers]
        owned = rng.random(len(new_buyers)) < assumptions.customers.owned_share
        owners = pick_reps(rng, self.world.reps, bought_at, assumptions.sales.owner_weights)
        owner = np.where(owned, owners, -1)
        customer, owner_of_visit = visits.customer.copy(), visits.owner.copy()
        customer[new_buyers] = self._new_customers(visits.visitor[new_buyers], bought_at, owner)
        owner_of_visit[new_buyers] = owner
        return Visits(visits.visitor, customer, owner_of_visit, visits.intent)

    def _hold_touchpoints(self, visits: Visits, journeys: Journeys) -> None:
        """Known customers are identified on every touch; a new buyer from the checkout touch on."""
        touches = journeys.touches
        on_journey = touches.journey
        is_new = visits.intent[on_journey] == Intent.NEW_VISITOR
        identified = ~is_new | (touches.last & journeys.buys[on_journey])
        numbers = self.numbering.take("touch", len(touches.at))
        customer = np.where(identified, visits.customer[on_journey], -1)
        rows = touchpoints_table(self.world, touches, numbers, visits.visitor[on_journey], customer)
        self._hold("touchpoints", rows)

    def _place_orders(
        self, window: Window, visits: Visits, journeys: Journeys, direct_buyers: np.ndarray
    ) -> None:
        """Orders of the buying journeys and of the customers who buy without a tracked touch,
        with everything that follows them, and their credit to channels for the plans."""
        rng, base = self.rng, self.customers
        buying = np.flatnonzero(journeys.buys)
        direct_at = window.start + rng.integers(0, window.end - window.start, len(direct_buyers))
        in_time = direct_at < self.cutoff
        direct_buyers, direct_at = direct_buyers[in_time], direct_at[in_time]
        purchases = Purchases(
            customer=np.concatenate([visits.customer[buying], base.number[direct_buyers]]),
            at=np.concatenate([journeys.converted_at[buying], direct_at]),
            first_order=np.concatenate(
                [visits.intent[buying] == Intent.NEW_VISITOR, np.zeros(len(direct_buyers), bool)]
            ),
            owner=np.concatenate([visits.owner[buying], base.owner[direct_buyers]]),
        )
        numbers = self.numbering.take("order", len(purchases.at))
        rows = order_rows(
            rng, self.assumptions, self.world, purchases, numbers, self.numbering, self.cutoff
        )
        for name, table_rows in rows.items():
            self._hold(name, table_rows)
        order_of_journey = np.full(len(visits.intent), -1)
        order_of_journey[buying] = numbers[: len(buying)]
        attribution = self.config.attribution
        credits = order_credits_rows(
            self.world,
            journeys.touches,
            order_of_journey,
            journeys.converted_at,
            numbers,
            purchases.at,
            attribution.lookback_days * DAY,
            attribution.no_touch_channel,
        )
        self._hold("order_credits", credits)

    def _visits(self, window: Window) -> tuple[Visits, np.ndarray]:
        """New visitors, plus known customers coming back to buy or to browse; and the customers
        (positions in the base) who buy this month without any tracked touch."""
        rng, traffic, again = self.rng, self.assumptions.traffic, self.assumptions.repeat_purchases
        season = traffic.seasonality[window.month.month - 1]
        growth = (1 + traffic.monthly_growth) ** (window.number - self.first_month.number)
        new_count = int(rng.poisson(traffic.new_visitor_journeys * self.scale * season * growth))

        base = self.customers
        known = np.flatnonzero(base.created_at < window.start)
        age = (window.start - base.created_at[known]) / AVERAGE_MONTH
        buy_rate = (
            again.rate_after_first_order * np.exp(-age / again.decay_months) + again.long_term_rate
        ) * season
        buys = rng.random(len(known)) < buy_rate
        with_touches = rng.random(len(known)) < again.with_touches_share
        browses = ~buys & (rng.random(len(known)) < again.browse_rate)
        returning = np.concatenate([known[buys & with_touches], known[browses]])
        intent = np.concatenate(
            [
                np.full(new_count, Intent.NEW_VISITOR),
                np.full(int((buys & with_touches).sum()), Intent.RETURNING_BUYER),
                np.full(int(browses.sum()), Intent.BROWSER),
            ]
        )
        visits = Visits(
            visitor=np.concatenate(
                [self.numbering.take("visitor", new_count), base.visitor[returning]]
            ),
            customer=np.concatenate([np.full(new_count, -1), base.number[returning]]),
            owner=np.concatenate([np.full(new_count, -1), base.owner[returning]]),
            intent=intent,
        )
        return visits, known[buys & ~with_touches]

    def _new_customers(
        self, visitor: np.ndarray, created_at: np.ndarray, owner: np.ndarray
    ) -> np.ndarray:
        """Register customers (rows held for their creation month); their numbers."""
        numbers = self.numbering.take("customer", len(visitor))
        self._hold(
            "customers",
            customers_rows(self.rng, self.assumptions, self.world, numbers, created_at, owner),
        )
        self.customers.add(numbers, visitor, created_at, owner)
        return numbers

    def _work_leads(self, visits: Visits, journeys: Journeys) -> None:
        """Leads from the lead forms; a won lead's visitor becomes a customer owned by its rep."""
        rng, world = self.rng, self.world
        forms = np.flatnonzero(journeys.leads)
        leads = simulate_leads(
            rng,
            self.assumptions,
            world,
            self.numbering.take("lead", len(forms)),
            journeys.converted_at[forms],
            visits.visitor[forms],
            journeys.origin_channel[forms],
            journeys.origin_campaign[forms],
            self.cutoff,
        )
        won = np.flatnonzero(leads.won)
        customer = np.full(len(forms), -1)
        customer[won] = self._new_customers(
            leads.visitor[won], leads.closed_at[won], leads.rep[won]
        )
        self._hold("leads", lead_rows(world, leads, customer))

    def _hold(self, name: str, rows: Rows) -> None:
        self.backlog.add(name, *rows)
