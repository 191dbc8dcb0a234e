{#- Reconciliation of the marts with staging (deduplicated raw), month by month over the run's
    range, to the cent. The staging side is computed here straight from the staging views, not
    through the intermediate models, so a mart that lost, doubled or mis-valued rows anywhere
    on the way shows up as a difference. -#}

{#- One row per month of the run's range (months without data too, with zeros): `period` and
    these totals of the month, as doubles:
    revenue         net revenue of the non-cancelled orders placed (gross - discount - their refunds)
    orders          non-cancelled orders placed
    spend           ad spend dated in the month
    leads           leads created
    mqls            leads reaching MQL (lead conversions)
    won_deals       leads won (won-deal conversions)
    won_deal_value  their deal value -#}
{% macro staging_totals_by_period() %}

    with

    periods as (

        {{ period_spine() }}

    ),

    orders as (

        select
            order_id,
            {{ month_of('ordered_at') }} as period,
            gross_amount - discount_amount as amount
        from {{ ref('stg_commerce__orders') }}
        where status <> 'cancelled'
            and {{ in_period_range('ordered_at') }}

    ),

    order_refunds as (

        select
            orders.period,
            sum(refunds.amount) as refund_amount
        from {{ ref('stg_commerce__refunds') }} as refunds
        inner join orders
            on refunds.order_id = orders.order_id
        group by orders.period

    ),

    order_totals as (

        select
            period,
            count(*) as orders,
            sum(amount) as amount
        from orders
        group by period

    ),

    spend as (

        select
            {{ month_of('spend_date') }} as period,
            sum(spend) as spend
        from {{ ref('stg_marketing__ad_spend') }}
        where {{ in_period_range('spend_date') }}
        group by {{ month_of('spend_date') }}

    ),

    leads as (

        select * from {{ ref('stg_crm__leads') }}

    ),

    created_leads as (

        select
            {{ month_of('created_at') }} as period,
            count(*) as leads
        from leads
        where {{ in_period_range('created_at') }}
        group by {{ month_of('created_at') }}

    ),

    mqls as (

        select
            {{ month_of('mql_at') }} as period,
            count(*) as mqls
        from leads
        where {{ in_period_range('mql_at') }}
        group by {{ month_of('mql_at') }}

    ),

    won_deals as (

        select
            {{ month_of('closed_at') }} as period,
            count(*) as won_deals,
            sum(coalesce(deal_value, 0)) as won_deal_value
        from leads
        where status = 'won'
            and {{ in_period_range('closed_at') }}
        group by {{ month_of('closed_at') }}

    )

    select
        periods.period,
        cast(
            coalesce(order_totals.amount, 0) - coalesce(order_refunds.refund_amount, 0)
            as double precision
        ) as revenue,
        cast(coalesce(order_totals.orders, 0) as double precision) as orders,
        cast(coalesce(spend.spend, 0) as double precision) as spend,
        cast(coalesce(created_leads.leads, 0) as double precision) as leads,
        cast(coalesce(mqls.mqls, 0) as double precision) as mqls,
        cast(coalesce(won_deals.won_deals, 0) as double precision) as won_deals,
        cast(coalesce(won_deals.won_deal_value, 0) as double precision) as won_deal_value
    from periods
    left join order_totals
        on periods.period = order_totals.period
    left join order_refunds
        on periods.period = order_refunds.period
    left join spend
        on periods.period = spend.period
    left join created_leads
        on periods.period = created_leads.period
    left join mqls
        on periods.period = mqls.period
    left join won_deals
        on periods.period = won_deals.period

{% endmacro %}

{#- staging_totals_by_period once per attribution model (column `model`): what every model's
    credit must add up to. -#}
{% macro staging_totals_by_model() %}

    with

    staging_totals as (

        {{ staging_totals_by_period() }}

    ),

    models as (

        {{ attribution_model_rows() }}

    )

    select
        staging_totals.*,
        models.model
    from staging_totals
    cross join models

{% endmacro %}

{#- The months and models where relations `staging` and `mart` (both by period and model)
    differ by a cent or more in any of `measures`: a reconciliation test's failing rows. -#}
{% macro differences_by_model(measures) %}

    select * from (
        select
            staging.period,
            staging.model,
            {{ side_by_side(measures) }}
        from staging
        left join mart
            on staging.period = mart.period
            and staging.model = mart.model
    ) as compared
    where {{ any_cent_apart(measures) }}

{% endmacro %}

{#- `staging_<measure>, mart_<measure>` for each measure, from relations `staging` and `mart` (a
    month the mart has no row for counts as 0 there). -#}
{% macro side_by_side(measures) -%}
    {%- for measure in measures %}
        staging.{{ measure }} as staging_{{ measure }},
        coalesce(mart.{{ measure }}, 0) as mart_{{ measure }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- True when any measure's staging and mart values (columns of side_by_side) differ by a cent
    or more: amounts are reconciled to the cent, counts exactly (they are whole numbers; credited
    counts are sums of shares, exact to far below a cent). -#}
{% macro any_cent_apart(measures) -%}
    {%- for measure in measures %}
    abs(staging_{{ measure }} - mart_{{ measure }}) >= 0.005{{ " or" if not loop.last }}
    {%- endfor %}
{%- endmacro %}
