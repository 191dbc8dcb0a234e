-- Reconciliation: every credited touch of the run's range is a real touch of the conversion's
-- lookback window (strictly before the conversion, at most its type's lookback_days earlier).
-- Only the synthetic touch of a conversion without any touch has no touchpoint_id. Staging holds
-- a touch per month (the same id sent in two months' files is two touches): a credited touch
-- passes when one of the touches of its id lies in the window.

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

with

-- Each credited touch once: every model credits touches of the same paths.
attribution as (

    select distinct
        conversion_id,
        conversion_type,
        touchpoint_id,
        converted_at,
        path_length
    from {{ ref('fct_attribution') }}
    where {{ in_period_range('period') }}

),

-- Only touches a conversion of the range can use (the others would fail the check anyway).
touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where occurred_at >= {{ touch_window_start() }}
        and occurred_at < {{ period_range_end() }}

),

checked as (

    select
        attribution.conversion_id,
        attribution.conversion_type,
        attribution.touchpoint_id,
        attribution.converted_at,
        attribution.path_length,
        max(touchpoints.occurred_at) as occurred_at,
        coalesce(
            bool_or(
                {{ in_lookback_window('touchpoints.occurred_at', 'attribution.converted_at', lookback_days_of('attribution.conversion_type')) }}
            ),
            false
        ) as inside_window
    from attribution
    left join touchpoints
        on attribution.touchpoint_id = touchpoints.touchpoint_id
    group by
        attribution.conversion_id,
        attribution.conversion_type,
        attribution.touchpoint_id,
        attribution.converted_at,
        attribution.path_length

)

select * from checked
where (touchpoint_id is null and path_length <> 1)
    or (touchpoint_id is not null and not inside_window)
