-- Reconciliation: every conversion of the run's range has attribution rows under every model.

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

with

conversions as (

    select * from {{ ref('int_conversions_unioned') }}

),

attribution as (

    select * from {{ ref('fct_attribution') }}
    where {{ in_period_range('period') }}

),

models as (

    {{ attribution_model_rows() }}

),

expected as (

    select
        conversions.conversion_id,
        models.model
    from conversions
    cross join models

),

attributed as (

    select distinct
        conversion_id,
        model
    from attribution

),

final as (

    select expected.*
    from expected
    left join attributed
        on expected.conversion_id = attributed.conversion_id
        and expected.model = attributed.model
    where attributed.conversion_id is null

)

select * from final
