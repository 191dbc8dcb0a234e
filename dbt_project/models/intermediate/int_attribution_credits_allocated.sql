{{ config(materialized='view') }}

-- Every attribution model's credit for every touch of every path, side by side (long format):
-- the rule-based models computed in SQL and the data-driven ones joined back from their weights.
-- Per conversion and model the credits sum to 1.

with

rule_based as (

    select * from {{ ref('int_attribution_credits_rule_based') }}

),

data_driven as (

    select * from {{ ref('int_attribution_credits_data_driven') }}

),

final as (

    select * from rule_based
    union all
    select * from data_driven

)

select * from final
