-- Reconciliation: per month of the run's range and attribution model, fct_channel_performance's
-- spend and credited orders, revenue, leads (MQLs), won deals and deal value add up to their
-- totals in staging, to the cent: credit is only ever split, never lost or doubled.

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_channel_performance'}}}) }}

{%- set measures = ['spend', 'orders', 'revenue', 'mqls', 'won_deals', 'won_deal_value'] %}

with

staging as (

    {{ staging_totals_by_model() }}

),

mart as (

    select
        period,
        model,
        sum(spend) as spend,
        sum(credited_orders) as orders,
        sum(credited_revenue) as revenue,
        sum(credited_leads) as mqls,
        sum(credited_won_deals) as won_deals,
        sum(credited_deal_value) as won_deal_value
    from {{ ref('fct_channel_performance') }}
    where {{ in_period_range('period') }}
    group by
        period,
        model

)

{{ differences_by_model(measures) }}
