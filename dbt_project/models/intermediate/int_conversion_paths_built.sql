-- Every conversion's path: the touches of its identity (its customer, a visitor seen as that
-- customer before the conversion, or its own visitor) before it and within its type's lookback
-- window, in time order. A
-- conversion without any touch gets one synthetic touch on the no-touch channel, so that credit
-- always adds up.

with

conversions as (

    select * from {{ ref('int_conversions_unioned') }}

),

-- Materialized once: both joins below read it.
touchpoints as materialized (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where occurred_at >= {{ touch_window_start() }}
        and occurred_at < {{ period_range_end() }}

),

visitor_sightings as (

    select * from {{ ref('int_visitor_sightings') }}

),

-- The visitors whose touches can count for a conversion: its own visitor (leads), and every
-- visitor seen as its customer before it converted. Each row carries what the lookback needs and
-- is materialized, so that the join to the touches below has a single partner: with the
-- conversions joined there too, DuckDB sometimes joined conversions to touches first on the
-- lookback's inequality alone (a range join of every conversion with every touch: minutes
-- instead of seconds at 1M journeys, seen twice in five runs of bench-attribution).
conversion_visitors as materialized (

    select
        conversions.conversion_id,
        conversions.customer_id,
        conversions.converted_at,
        conversions.lookback_days,
        linked.visitor_id
    from (
        select
            conversions.conversion_id,
            visitor_sightings.visitor_id
        from conversions
        inner join visitor_sightings
            on conversions.customer_id = visitor_sightings.customer_id
            and visitor_sightings.first_seen_at <= conversions.converted_at

        union

        select
            conversion_id,
            visitor_id
        from conversions
        where visitor_id is not null
    ) as linked
    inner join conversions
        on linked.conversion_id = conversions.conversion_id

),

-- Two equi-joins (cheap) rather than one join on "customer or visitor"; `union` drops a touch
-- matched both ways. A visitor's touch that names another customer is that customer's.
matched_touches as (

    select
        conversions.conversion_id,
        touchpoints.touchpoint_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        touchpoints.campaign_id
    from conversions
    inner join touchpoints
        on conversions.customer_id = touchpoints.customer_id
    where {{ in_lookback_window('touchpoints.occurred_at', 'conversions.converted_at', 'conversions.lookback_days') }}

    union

    select
        conversion_visitors.conversion_id,
        touchpoints.touchpoint_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        touchpoints.campaign_id
    from conversion_visitors
    inner join touchpoints
        on conversion_visitors.visitor_id = touchpoints.visitor_id
    where {{ in_lookback_window('touchpoints.occurred_at', 'conversion_visitors.converted_at', 'conversion_visitors.lookback_days') }}
        and (
            touchpoints.customer_id is null
            or conversion_visitors.customer_id is null
            or touchpoints.customer_id = conversion_visitors.customer_id
        )

),

numbered_touches as (

    select
        conversion_id,
        touchpoint_id,
        occurred_at,
        channel,
        campaign_id,
        row_number() over (
            partition by conversion_id
            order by occurred_at, touchpoint_id
        ) as touch_position,
        count(*) over (partition by conversion_id) as path_length
    from matched_touches

),

no_touch_paths as (

    select
        conversions.conversion_id,
        cast(null as varchar) as touchpoint_id,
        cast(null as timestamp) as occurred_at,
        cast('{{ no_touch_channel() }}' as varchar) as channel,
        cast(null as varchar) as campaign_id,
        1 as touch_position,
        1 as path_length
    from conversions
    where not exists (
        select 1
        from numbered_touches
        where numbered_touches.conversion_id = conversions.conversion_id
    )

),

paths as (

    select * from numbered_touches
    union all
    select * from no_touch_paths

),

final as (

    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.period,
        conversions.converted_at,
        conversions.conversion_value,
        conversions.is_new_customer,
        conversions.lead_created_at,
        conversions.lookback_days,
        paths.touchpoint_id,
        paths.occurred_at,
        paths.channel,
        paths.campaign_id,
        cast(paths.touch_position as integer) as touch_position,
        cast(paths.path_length as integer) as path_length,
        cast({{ dbt.datediff('paths.occurred_at', 'conversions.converted_at', 'second') }} as double precision)
            / 86400 as touch_age_days
    from conversions
    inner join paths
        on conversions.conversion_id = paths.conversion_id

)

select * from final
