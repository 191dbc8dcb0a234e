-- KPI sanity: in the run's range, every KPI that is a share of a whole (check share in the KPI
-- catalogue: win rate, churn rate, satisfaction, the manual completion rates, ...) lies within
-- 0..1.

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_kpi'}}}) }}

select *
from {{ ref('fct_kpi') }}
where {{ in_period_range('period') }}
    and kpi in ('{{ checked_kpis('share') | join("', '") }}')
    and (value < 0 or value > 1 + 1e-9)
