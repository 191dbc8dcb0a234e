{{ config(materialized='view') }}

-- Every rule-based attribution model's credit for every touch of every path, side by side (long
-- format), computed per touch in SQL. Per conversion and model the credits sum to 1; rows with no
-- credit are dropped. Shares come from vars position_based and w_shaped.

with

paths as (

    select * from {{ ref('int_conversion_paths_built') }}

),

positioned as (

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
        -- w_shaped: the lead-creation touch is the last touch at or before the lead was created
        max(
            case when occurred_at <= lead_created_at then touch_position end
        ) over (partition by conversion_id) as lead_creation_position,
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

position_based as (

    select
        *,
        case
            when path_length = 1 then 1
            when path_length = 2 then 0.5
            when touch_position = 1 then {{ attribution_share('position_based', 'first') }}
            when touch_position = path_length then {{ attribution_share('position_based', 'last') }}
            else (
                1
                - {{ attribution_share('position_based', 'first') }}
                - {{ attribution_share('position_based', 'last') }}
            ) / (path_length - 2)
        end as position_based_credit,
        -- w_shaped, before normalising: each role's share goes to the touch holding it (one touch
        -- may hold two); the touches holding none share the rest
        case when touch_position = 1 then {{ attribution_share('w_shaped', 'first') }} else 0 end
        + case
            when touch_position = lead_creation_position
                then {{ attribution_share('w_shaped', 'lead_creation') }}
            else 0
        end
        + case when touch_position = path_length then {{ attribution_share('w_shaped', 'last') }} else 0 end
        + case
            when touch_position not in (1, path_length, lead_creation_position)
                then (
                    1
                    - {{ attribution_share('w_shaped', 'first') }}
                    - {{ attribution_share('w_shaped', 'lead_creation') }}
                    - {{ attribution_share('w_shaped', 'last') }}
                ) / (path_length - case when lead_creation_position in (1, path_length) then 2 else 3 end)
            else 0
        end as w_shaped_weight
    from positioned

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
        -- w_shaped falls back to position_based without a lead-creation touch or with fewer than
        -- three touches; shares are normalised so that a path with no "other" touch sums to 1
        case
            when lead_creation_position is null or path_length < 3 then position_based_credit
            else {{ safe_divide('w_shaped_weight', 'sum(w_shaped_weight) over (partition by conversion_id)') }}
        end as w_shaped_credit
    from position_based

),

-- One pass over the touches: each touch meets every model and keeps that model's credit (a union
-- of one select per model recomputed the window functions above once per model: 2x slower).
models as (

    {{ attribution_model_rows(rule_based_models()) }}

),

unpivoted as (

    select
        {%- for column in credit_row_columns() %}
        credited.{{ column }},
        {%- endfor %}
        models.model,
        cast(
            case models.model
                {%- for model in rule_based_models() %}
                when '{{ model }}' then credited.{{ model }}_credit
                {%- endfor %}
            end as double precision
        ) as credit
    from credited
    cross join models

),

final as (

    select * from unpivoted
    where credit > 0

)

select * from final
