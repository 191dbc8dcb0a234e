-- Reconciliation: per month of the run's range, the company's revenue, orders, spend, leads and
-- won deal value in fct_kpi equal their totals in staging, to the cent.

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_kpi'}}}) }}

{%- set measures = ['revenue', 'orders', 'spend', 'leads', 'won_deal_value'] %}

with

staging as (

    {{ staging_totals_by_period() }}

),

company_kpis as (

    select * from {{ ref('fct_kpi') }}
    where entity_type = 'company'
        and {{ in_period_range('period') }}

),

mart as (

    select
        period,
        {%- for measure in measures %}
        sum(case when kpi = '{{ measure }}' then numerator end) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from company_kpis
    group by period

),

compared as (

    select
        staging.period,
        {{ side_by_side(measures) }}
    from staging
    left join mart
        on staging.period = mart.period

)

select * from compared
where {{ any_cent_apart(measures) }}
