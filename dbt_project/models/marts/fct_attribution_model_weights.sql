{#- allocated_conversions and allocation_gap came later: a warehouse built before gets them added
    (empty for the months not run since), not a failed build. -#}
{{
    config(
        materialized='insert_in_place',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_period_range() }}",
        tags=['period'],
    )
}}

-- The data-driven models' channel-level results per month and conversion type: Markov removal
-- effects and Shapley values, each channel's weight and credited conversions, and the conversions
-- fct_attribution's credit of the channel adds up to (equal where any sharing of the conversions
-- can meet the model's result). Rebuilds exactly the months of the run's range.

with

channel_weights as (

    select * from {{ source('attribution', 'channel_weights') }}
    where {{ in_period_range('period') }}

),

final as (

    select distinct
        period,
        conversion_type,
        model,
        model_channel as channel,
        case
            when model = 'markov' then 'removal_effect'
            else 'shapley_value'
        end as measure,
        model_value,
        weight,
        credited_conversions,
        allocated_conversions,
        allocated_conversions - credited_conversions as allocation_gap
    from channel_weights

)

select * from final
