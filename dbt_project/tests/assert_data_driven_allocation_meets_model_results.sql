-- Warns where the data-driven models' conversion-level credit cannot add up to the model's
-- channel result: per month of the run's range, conversion type, model and channel, the gap
-- between the conversions fct_attribution credits (allocated_conversions) and the model's result
-- (credited_conversions). A gap is structural, not an error: conversions on paths where a
-- channel is alone are its whole, whatever its weight, and a channel on no converting path gets
-- none. Every conversion's credits still sum to 1 (assert_attribution_credit_sums_to_one).

{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_attribution_model_weights'}}}) }}

with

model_weights as (

    select * from {{ ref('fct_attribution_model_weights') }}
    where {{ in_period_range('period') }}

)

select
    period,
    conversion_type,
    model,
    channel,
    credited_conversions,
    allocated_conversions,
    allocation_gap
from model_weights
where abs(allocation_gap) > 1e-6 * greatest(1, abs(credited_conversions))
