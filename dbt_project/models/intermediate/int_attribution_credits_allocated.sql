-- Every attribution model's credit for every touch of every path, side by side (long format).
-- Per conversion and model the credits sum to 1; rows with no credit are dropped.

with

paths as (

    select * from {{ ref('int_conversion_paths_built') }}

),

weighted as (

    select
        *,
        -- last_non_direct: the last touch neither direct nor on the no-touch channel; if there
        -- is none, the last touch
        coalesce(
            max(
                case
                    when channel not in ('direct', '{{ no_touch_channel() }}')
                        then touch_position
                end
            ) over (partition by conversion_id),
            path_length
        ) as last_non_direct_position,
        -- time_decay: a touch half_life_days older weighs half as much (synthetic touch: 1)
        coalesce(
            power(
                cast(2 as double precision),
                -touch_age_days / {{ var('half_life_days') }}
            ),
            1
        ) as decay_weight
    from paths

),

credited as (

    select
        *,
        case when touch_position = 1 then 1 else 0 end as first_touch_credit,
        case when touch_position = path_length then 1 else 0 end as last_touch_credit,
        case when touch_position = last_non_direct_position then 1 else 0 end as last_non_direct_credit,
        {{ safe_divide('1', 'path_length') }} as linear_credit,
        {{ safe_divide('decay_weight', 'sum(decay_weight) over (partition by conversion_id)') }}
            as time_decay_credit,
        case
            when path_length = 1 then 1
            when path_length = 2 then 0.5
            when touch_position = 1 or touch_position = path_length then 0.4
            else {{ safe_divide('0.2', 'path_length - 2') }}
        end as position_based_credit
    from weighted

),

unpivoted as (

    {% for model in attribution_models() %}
    select
        conversion_id,
        conversion_type,
        period,
        converted_at,
        conversion_value,
        is_new_customer,
        touchpoint_id,
        touch_position,
        path_length,
        channel,
        campaign_id,
        cast('{{ model }}' as varchar) as model,
        cast({{ model }}_credit as double precision) as credit
    from credited
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select * from unpivoted
    where credit > 0

)

select * from final
