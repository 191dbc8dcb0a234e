-- Attribution credit per month, channel, campaign (NULL: none) and model, split by conversion type;
-- credited orders also carry their cost of goods (gross margin by channel).
-- Reads the credits from marts.fct_attribution, built just before from the same credit views:
-- those views (the rule-based models' windows, the data-driven credit) would otherwise be
-- computed a second time here (7 s of a 10M-touch month).

with

credits as (

    select * from {{ ref('fct_attribution') }}
    where {{ in_period_range('period') }}

),

-- Keyed by conversion id (`order:<order_id>`), so the join below is one equality: with the
-- conversion type in the join condition too, DuckDB planned a nested loop join (minutes).
order_costs as (

    select
        'order:' || order_id as conversion_id,
        cost_of_goods,
        is_first_order as is_new_customer
    from {{ ref('int_orders_valued') }}
    where {{ in_period_range('ordered_at') }}

),

credits_with_cost as (

    select
        credits.*,
        coalesce(order_costs.cost_of_goods, 0) as cost_of_goods,
        coalesce(order_costs.is_new_customer, false) as is_new_customer
    from credits
    left join order_costs
        on credits.conversion_id = order_costs.conversion_id

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
            case when conversion_type = 'order' then credit * cost_of_goods else 0 end
        ) as credited_cost_of_goods,
        sum(
            case when conversion_type = 'order' and is_new_customer then credit else 0 end
        ) as credited_new_customers,
        sum(case when conversion_type = 'lead' then credit else 0 end) as credited_leads,
        sum(case when conversion_type = 'won_deal' then credit else 0 end) as credited_won_deals,
        sum(
            case when conversion_type = 'won_deal' then credit * conversion_value else 0 end
        ) as credited_deal_value
    from credits_with_cost
    group by
        period,
        channel,
        campaign_id,
        model

)

select * from final
