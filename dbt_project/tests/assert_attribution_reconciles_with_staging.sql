-- Reconciliation: per month of the run's range and attribution model, fct_attribution credits
-- exactly the conversions staging has - its orders (and their net revenue, to the cent), MQLs
-- and won deals (and their deal value).

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

{%- set measures = ['orders', 'revenue', 'mqls', 'won_deals', 'won_deal_value'] %}

with

staging as (

    {{ staging_totals_by_model() }}

),

attribution as (

    select * from {{ ref('fct_attribution') }}
    where {{ in_period_range('period') }}

),

mart as (

    select
        period,
        model,
        sum(case when conversion_type = 'order' then credited_conversions else 0 end) as orders,
        sum(case when conversion_type = 'order' then credited_revenue else 0 end) as revenue,
        sum(case when conversion_type = 'lead' then credited_conversions else 0 end) as mqls,
        sum(case when conversion_type = 'won_deal' then credited_conversions else 0 end) as won_deals,
        sum(case when conversion_type = 'won_deal' then credited_revenue else 0 end) as won_deal_value
    from attribution
    group by
        period,
        model

)

{{ differences_by_model(measures) }}
