-- KPI sanity (warns): in the run's range, the funnel rates (check funnel_rate in the KPI
-- catalogue: click-through and conversion rate) lie within 0..1. Their parts come from different systems, so a value
-- above 1 points at suspect input rather than a broken model.

{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_kpi'}}}) }}

select *
from {{ ref('fct_kpi') }}
where {{ in_period_range('period') }}
    and kpi in ('{{ checked_kpis('funnel_rate') | join("', '") }}')
    and (value < 0 or value > 1 + 1e-9)
