-- Attribution credit per month, channel, campaign (NULL: none) and model, split by conversion type.

with

credits as (

    select * from {{ ref('int_attribution_credits_allocated') }}

),

final as (

    select
        period,
        channel,
        campaign_id,
        model,
        sum(case when conversion_type = 'order' then credit else 0 end) as credited_orders,
        sum(
            case when conversion_type = 'order' then credit * conversion_value else 0 end
        ) as credited_revenue,
        sum(
            case when conversion_type = 'order' and is_new_customer then credit else 0 end
        ) as credited_new_customers,
        sum(case when conversion_type = 'lead' then credit else 0 end) as credited_leads,
        sum(case when conversion_type = 'won_deal' then credit else 0 end) as credited_won_deals,
        sum(
            case when conversion_type = 'won_deal' then credit * conversion_value else 0 end
        ) as credited_deal_value
    from credits
    group by
        period,
        channel,
        campaign_id,
        model

)

select * from final
