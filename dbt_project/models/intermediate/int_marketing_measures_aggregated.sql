-- Channel KPI measures of the run's range per month, channel and campaign (NULL: none): spend,
-- budget, credited conversions (primary model; revenue per model too) and leads by origin; the
-- spend of campaigns that produced no lead and no conversion (invalid spend) and the new customers
-- credited to paid channels.

with

spend as (

    select * from {{ ref('int_ad_spend_aggregated') }}

),

budgets as (

    select * from {{ ref('stg_marketing__budgets') }}
    where {{ in_period_range('period') }}

),

credits as (

    select * from {{ ref('int_channel_credits_aggregated') }}

),

lead_events as (

    select * from {{ ref('int_lead_events_unioned') }}

),

channels as (

    {{ channel_rows() }}

),

budget_measures as (

    select
        period,
        channel,
        campaign_id,
        sum(budget) as budget
    from budgets
    group by
        period,
        channel,
        campaign_id

),

credit_measures as (

    select
        period,
        channel,
        campaign_id,
        sum(case when model = '{{ primary_model() }}' then credited_revenue else 0 end) as revenue,
        sum(case when model = '{{ primary_model() }}' then credited_cost_of_goods else 0 end) as cost_of_goods,
        sum(case when model = '{{ primary_model() }}' then credited_orders else 0 end) as orders,
        sum(
            case when model = '{{ primary_model() }}' then credited_new_customers else 0 end
        ) as new_customers,
        {% for model in attribution_models() -%}
        sum(case when model = '{{ model }}' then credited_revenue else 0 end) as revenue_{{ model }}
        {{- "," if not loop.last }}
        {% endfor %}
    from credits
    group by
        period,
        channel,
        campaign_id

),

lead_measures as (

    select
        period,
        origin_channel as channel,
        campaign_id,
        {% for column in lead_measure_columns() -%}
        sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from lead_events
    group by
        period,
        origin_channel,
        campaign_id

),

measure_keys as (

    select period, channel, campaign_id from spend
    union
    select period, channel, campaign_id from budget_measures
    union
    select period, channel, campaign_id from credit_measures
    union
    select period, channel, campaign_id from lead_measures

),

measures as (

    select
        measure_keys.period,
        measure_keys.channel,
        measure_keys.campaign_id,
        coalesce(spend.spend, 0) as spend,
        coalesce(spend.impressions, 0) as impressions,
        coalesce(spend.clicks, 0) as clicks,
        coalesce(budget_measures.budget, 0) as budget,
        {% for column in order_measure_columns() -%}
        coalesce(credit_measures.{{ column }}, 0) as {{ column }},
        {% endfor -%}
        coalesce(credit_measures.cost_of_goods, 0) as cost_of_goods,
        {% for model in attribution_models() -%}
        coalesce(credit_measures.revenue_{{ model }}, 0) as revenue_{{ model }},
        {% endfor -%}
        {% for column in lead_measure_columns() -%}
        coalesce(lead_measures.{{ column }}, 0) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from measure_keys
    left join spend
        on measure_keys.period = spend.period
        and measure_keys.channel = spend.channel
        and measure_keys.campaign_id is not distinct from spend.campaign_id
    left join budget_measures
        on measure_keys.period = budget_measures.period
        and measure_keys.channel = budget_measures.channel
        and measure_keys.campaign_id is not distinct from budget_measures.campaign_id
    left join credit_measures
        on measure_keys.period = credit_measures.period
        and measure_keys.channel = credit_measures.channel
        and measure_keys.campaign_id is not distinct from credit_measures.campaign_id
    left join lead_measures
        on measure_keys.period = lead_measures.period
        and measure_keys.channel = lead_measures.channel
        and measure_keys.campaign_id is not distinct from lead_measures.campaign_id

),

final as (

    select
        measures.*,
        case
            when measures.campaign_id is not null
                and measures.leads = 0
                and measures.mqls = 0
                and measures.closed_leads = 0
                and measures.orders = 0
                then measures.spend
            else 0
        end as invalid_spend,
        case when channels.is_paid then measures.new_customers else 0 end as paid_new_customers
    from measures
    left join channels
        on measures.channel = channels.channel

)

select * from final
