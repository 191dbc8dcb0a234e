-- Per month of the run's range: the order items of its non-cancelled orders and those without a
-- unit_cost, for the month and for the LTV horizon up to it. Margin KPIs are NULL while the
-- window they read has an uncosted item (fct_kpi), so a missing cost is never counted as 0.

{%- set ltv_horizon = ltv_horizon_months() %}

with

periods as (

    {{ period_spine() }}

),

orders as (

    select * from {{ ref('int_orders_valued') }}
    where ordered_at >= {{ months_before_range_start(ltv_horizon - 1) }}
        and ordered_at < {{ period_range_end() }}

),

monthly_items as (

    select
        period,
        sum(items) as order_items,
        sum(uncosted_items) as uncosted_order_items
    from orders
    group by period

),

final as (

    select
        periods.period,
        coalesce(sum(case when monthly_items.period = periods.period then monthly_items.order_items end), 0)
            as order_items,
        coalesce(
            sum(case when monthly_items.period = periods.period then monthly_items.uncosted_order_items end), 0
        ) as uncosted_order_items,
        coalesce(sum(monthly_items.order_items), 0) as ltv_order_items,
        coalesce(sum(monthly_items.uncosted_order_items), 0) as ltv_uncosted_order_items
    from periods
    left join monthly_items
        on monthly_items.period <= periods.period
        and monthly_items.period > {{ dbt.dateadd('month', -ltv_horizon, 'periods.period') }}
    group by periods.period

)

select * from final
