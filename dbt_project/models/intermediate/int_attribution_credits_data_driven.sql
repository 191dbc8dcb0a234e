{{ config(materialized='view') }}

-- The data-driven models' (Markov, Shapley) credit for every touch of every path. Their channel
-- weights are learned per month and conversion type in Python from int_attribution_paths_aggregated
-- and refitted there into allocation weights, which make the credit summed per channel equal the
-- model's channel results where any sharing can (source attribution.channel_weights). Here they
-- are joined back to the touches: within a path, each channel present gets its allocation
-- weight's share of the sum of the present channels' allocation weights, split evenly over that
-- channel's touches. A path whose channels all weigh 0 is credited linearly.

with

paths as (

    select * from {{ ref('int_conversion_paths_built') }}

),

channel_weights as (

    select * from {{ source('attribution', 'channel_weights') }}
    where {{ in_period_range('period') }}

),

models as (

    {%- for model in data_driven_models() %}
    select cast('{{ model }}' as varchar) as model
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}

),

weighted_touches as (

    select
        paths.*,
        models.model,
        coalesce(channel_weights.model_channel, paths.channel) as model_channel,
        coalesce(channel_weights.allocation_weight, 0) as channel_weight
    from paths
    cross join models
    left join channel_weights
        on paths.period = channel_weights.period
        and paths.conversion_type = channel_weights.conversion_type
        and models.model = channel_weights.model
        and paths.channel = channel_weights.channel

),

-- A channel's weight, split over its touches in the path (folded channels share one weight).
split_weights as (

    select
        *,
        channel_weight / count(*) over (
            partition by conversion_id, model, model_channel
        ) as touch_weight
    from weighted_touches

),

credited as (

    select
        *,
        case
            when sum(touch_weight) over (partition by conversion_id, model) > 0
                then touch_weight / sum(touch_weight) over (partition by conversion_id, model)
            else 1.0 / path_length
        end as credit
    from split_weights

),

final as (

    select
        {{ credit_row_columns() | join(',\n        ') }},
        model,
        cast(credit as double precision) as credit
    from credited
    where credit > 0

)

select * from final
