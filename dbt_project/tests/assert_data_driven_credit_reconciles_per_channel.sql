-- Reconciliation of the data-driven models' two marginals: per month of the run's range,
-- conversion type, model (markov, shapley) and model channel, fct_attribution's credit summed
-- equals the conversions fct_attribution_model_weights says it allocates (within 1e-6). Every
-- conversion's credits summing to 1 is assert_attribution_credit_sums_to_one. The failing rows
-- show the model's own result too (credited_conversions) and the allocation's gap to it.

{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

with

attribution as (

    select * from {{ ref('fct_attribution') }}
    where {{ in_period_range('period') }}
        and model in ({{ "'" ~ data_driven_models() | join("', '") ~ "'" }})

),

model_weights as (

    select * from {{ ref('fct_attribution_model_weights') }}
    where {{ in_period_range('period') }}

),

-- Channel -> the channel it is credited as (itself, or Shapley's `other`).
credited_as as (

    select * from {{ source('attribution', 'channel_weights') }}
    where {{ in_period_range('period') }}

),

credit_sums as (

    select
        attribution.period,
        attribution.conversion_type,
        attribution.model,
        coalesce(credited_as.model_channel, attribution.channel) as channel,
        sum(attribution.credit) as credit
    from attribution
    left join credited_as
        on attribution.period = credited_as.period
        and attribution.conversion_type = credited_as.conversion_type
        and attribution.model = credited_as.model
        and attribution.channel = credited_as.channel
    group by
        attribution.period,
        attribution.conversion_type,
        attribution.model,
        coalesce(credited_as.model_channel, attribution.channel)

),

compared as (

    select
        coalesce(model_weights.period, credit_sums.period) as period,
        coalesce(model_weights.conversion_type, credit_sums.conversion_type) as conversion_type,
        coalesce(model_weights.model, credit_sums.model) as model,
        coalesce(model_weights.channel, credit_sums.channel) as channel,
        coalesce(credit_sums.credit, 0) as credit,
        coalesce(model_weights.allocated_conversions, 0) as allocated_conversions,
        model_weights.credited_conversions,
        model_weights.allocation_gap
    from model_weights
    full outer join credit_sums
        on model_weights.period = credit_sums.period
        and model_weights.conversion_type = credit_sums.conversion_type
        and model_weights.model = credit_sums.model
        and model_weights.channel = credit_sums.channel

)

select * from compared
where abs(credit - allocated_conversions) > 1e-6 * greatest(1, abs(allocated_conversions))
