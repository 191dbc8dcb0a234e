-- Owner-based customer measures per month of the run's range and rep (NULL: no rep) that look
-- back before the month: revenue of the previous month and of the same month a year earlier,
-- repeat customers, churn over the previous churn_window_months, historic LTV over the
-- ltv_horizon_months up to the month. Reads only the run's months plus the longest of these
-- lookbacks, never all history.

{%- set churn_window = churn_window_months() %}
{%- set ltv_horizon = ltv_horizon_months() %}

with

periods as (

    {{ period_spine() }}

),

orders as (

    select * from {{ ref('int_orders_valued') }}
    where ordered_at >= {{ months_before_range_start(customer_history_months()) }}
        and ordered_at < {{ period_range_end() }}

),

customer_months as (

    select
        period,
        customer_id,
        owner_rep_id as rep_id,
        sum(net_revenue) as revenue,
        sum(net_revenue - cost_of_goods) as gross_margin,
        max(case when is_first_order then 0 else 1 end) as has_repeat_order
    from orders
    group by
        period,
        customer_id,
        owner_rep_id

),

-- each customer's months before each month of the range, with how many months before it
customer_history as (

    select
        periods.period,
        customer_months.customer_id,
        customer_months.rep_id,
        customer_months.revenue,
        customer_months.gross_margin,
        customer_months.has_repeat_order,
        {{ dbt.datediff('customer_months.period', 'periods.period', 'month') }} as months_before
    from periods
    inner join customer_months
        on customer_months.period <= periods.period
        and customer_months.period >= {{ dbt.dateadd('month', -customer_history_months(), 'periods.period') }}

),

-- per month of the range and customer: 1 where the condition holds, and the sums of the windows
customer_periods as (

    select
        period,
        customer_id,
        rep_id,
        max(case when months_before = 0 then 1 else 0 end) as is_active,
        max(case when months_before = 0 then has_repeat_order else 0 end) as is_repeat,
        max(case when months_before between 1 and {{ churn_window }} then 1 else 0 end) as was_active,
        max(case when months_before < {{ ltv_horizon }} then 1 else 0 end) as is_in_ltv_horizon,
        sum(case when months_before < {{ ltv_horizon }} then gross_margin else 0 end) as ltv_gross_margin,
        sum(case when months_before = 1 then revenue else 0 end) as revenue_previous_month,
        sum(case when months_before = 12 then revenue else 0 end) as revenue_previous_year
    from customer_history
    group by
        period,
        customer_id,
        rep_id

),

final as (

    select
        period,
        rep_id,
        sum(revenue_previous_month) as revenue_previous_month,
        sum(revenue_previous_year) as revenue_previous_year,
        sum(is_active) as active_customers,
        sum(is_repeat) as repeat_customers,
        sum(was_active) as churn_base_customers,
        sum(case when was_active = 1 and is_active = 0 then 1 else 0 end) as churned_customers,
        sum(ltv_gross_margin) as ltv_gross_margin,
        sum(is_in_ltv_horizon) as ltv_customers
    from customer_periods
    group by
        period,
        rep_id

)

select * from final
