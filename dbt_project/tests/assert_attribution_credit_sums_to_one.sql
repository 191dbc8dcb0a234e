-- Reconciliation: per conversion and model of the run's range, the credits add up to 1.

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

with

attribution as (

    select * from {{ ref('fct_attribution') }}
    where {{ in_period_range('period') }}

),

totals as (

    select
        conversion_id,
        model,
        sum(credit) as total_credit
    from attribution
    group by
        conversion_id,
        model

)

select * from totals
where abs(total_credit - 1) > 1e-6
