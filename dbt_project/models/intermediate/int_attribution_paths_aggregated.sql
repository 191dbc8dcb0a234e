-- The input of the data-driven models (Markov, Shapley), aggregated in the warehouse: per month
-- and conversion type, every distinct channel path with how many journeys took it and converted
-- or did not. A path is its channels in time order with consecutive repeats collapsed
-- ('a > a > b' is 'a > b'), joined by ' > '.
-- Converting: each conversion's path (a conversion without touch: the no-touch channel).
-- Not converting: an identity's touches of the month when that identity had no conversion of the
-- type in the month. Both read only the run's months, so a month gives the same result however
-- it is run.

with

conversion_paths as (

    select * from {{ ref('int_conversion_paths_built') }}

),

conversions as (

    select * from {{ ref('int_conversions_unioned') }}

),

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where {{ in_period_range('occurred_at') }}

),

visitor_sightings as (

    select * from {{ ref('int_visitor_sightings') }}

),

months as (

    {{ period_spine() }}

),

-- Per month, the customer each visitor was most recently identified as before the month ended.
visitor_identities as (

    select
        period,
        visitor_id,
        customer_id
    from (
        select
            months.period,
            visitor_sightings.visitor_id,
            visitor_sightings.customer_id,
            row_number() over (
                partition by months.period, visitor_sightings.visitor_id
                order by visitor_sightings.first_seen_at desc, visitor_sightings.customer_id
            ) as recency
        from visitor_sightings
        inner join months
            on visitor_sightings.first_seen_at < {{ dbt.dateadd('month', 1, 'months.period') }}
    ) as ranked
    where recency = 1

),

conversion_types as (

    select cast('order' as varchar) as conversion_type
    union all
    select cast('lead' as varchar)
    union all
    select cast('won_deal' as varchar)

),

-- One identity per person: the customer when known (directly or through the visitor), else
-- the visitor; prefixed so that customer and visitor ids cannot collide.
identified_touches as (

    select
        touchpoints.touchpoint_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        {{ month_of('touchpoints.occurred_at') }} as period,
        coalesce(
            'c:' || coalesce(touchpoints.customer_id, visitor_identities.customer_id),
            'v:' || touchpoints.visitor_id
        ) as identity_id
    from touchpoints
    left join visitor_identities
        on touchpoints.visitor_id = visitor_identities.visitor_id
        and {{ month_of('touchpoints.occurred_at') }} = visitor_identities.period

),

converted_identities as (

    select distinct
        conversions.period,
        conversions.conversion_type,
        coalesce(
            'c:' || coalesce(conversions.customer_id, visitor_identities.customer_id),
            'v:' || conversions.visitor_id
        ) as identity_id
    from conversions
    left join visitor_identities
        on conversions.visitor_id = visitor_identities.visitor_id
        and conversions.period = visitor_identities.period

),

-- A touch repeating the channel of the touch before it adds nothing to the path.
conversion_path_changes as (

    select
        conversion_id,
        conversion_type,
        period,
        channel,
        touch_position,
        lag(channel) over (partition by conversion_id order by touch_position) as previous_channel
    from conversion_paths

),

journey_changes as (

    select
        period,
        identity_id,
        channel,
        occurred_at,
        touchpoint_id,
        lag(channel) over (
            partition by period, identity_id
            order by occurred_at, touchpoint_id
        ) as previous_channel
    from identified_touches

),

converting as (

    select
        period,
        conversion_type,
        {{ dbt.listagg('channel', "' > '", 'order by touch_position') }} as path
    from conversion_path_changes
    where previous_channel is null or previous_channel <> channel
    group by
        conversion_id,
        conversion_type,
        period

),

journeys as (

    select
        period,
        identity_id,
        {{ dbt.listagg('channel', "' > '", 'order by occurred_at, touchpoint_id') }} as path
    from journey_changes
    where previous_channel is null or previous_channel <> channel
    group by
        period,
        identity_id

),

not_converting as (

    select
        journeys.period,
        conversion_types.conversion_type,
        journeys.path
    from journeys
    cross join conversion_types
    where not exists (
        select 1
        from converted_identities
        where converted_identities.period = journeys.period
            and converted_identities.conversion_type = conversion_types.conversion_type
            and converted_identities.identity_id = journeys.identity_id
    )

),

outcomes as (

    select period, conversion_type, path, 1 as converted from converting
    union all
    select period, conversion_type, path, 0 as converted from not_converting

),

final as (

    select
        period,
        conversion_type,
        path,
        cast(sum(converted) as bigint) as conversions,
        cast(sum(1 - converted) as bigint) as non_conversions
    from outcomes
    group by
        period,
        conversion_type,
        path

)

select * from final
