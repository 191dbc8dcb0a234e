-- Reconciliation: per month of the run's range and model, the credited revenue equals the value
-- of the conversions (order net revenue plus won deal value).

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

with

attribution as (

    select * from {{ ref('fct_attribution') }}
    where {{ in_period_range('period') }}

),

conversions as (

    select * from {{ ref('int_conversions_unioned') }}

),

models as (

    {{ attribution_model_rows() }}

),

expected as (

    select
        conversions.period,
        models.model,
        sum(cast(conversions.conversion_value as double precision)) as conversion_value
    from conversions
    cross join models
    group by
        conversions.period,
        models.model

),

credited as (

    select
        period,
        model,
        sum(credited_revenue) as credited_revenue
    from attribution
    group by
        period,
        model

),

compared as (

    select
        coalesce(expected.period, credited.period) as period,
        coalesce(expected.model, credited.model) as model,
        coalesce(expected.conversion_value, 0) as conversion_value,
        coalesce(credited.credited_revenue, 0) as credited_revenue
    from expected
    full outer join credited
        on expected.period = credited.period
        and expected.model = credited.model

)

select * from compared
where abs(credited_revenue - conversion_value) > 1e-6 * greatest(1, abs(conversion_value))
