-- Reconciliation: every credited touch of the run's range is a real touch of the conversion's
-- lookback window (strictly before the conversion, at most its type's lookback_days earlier).
-- Only the synthetic touch of a conversion without any touch has no touchpoint_id.

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

with

attribution as (

    select * from {{ ref('fct_attribution') }}
    where {{ in_period_range('period') }}

),

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}

),

checked as (

    select
        attribution.conversion_id,
        attribution.conversion_type,
        attribution.model,
        attribution.touchpoint_id,
        attribution.converted_at,
        attribution.path_length,
        touchpoints.occurred_at
    from attribution
    left join touchpoints
        on attribution.touchpoint_id = touchpoints.touchpoint_id

)

select * from checked
where (touchpoint_id is null and path_length <> 1)
    or (
        touchpoint_id is not null
        and (
            occurred_at is null
            or not (
                {{ in_lookback_window('occurred_at', 'converted_at', lookback_days_of('conversion_type')) }}
            )
        )
    )
