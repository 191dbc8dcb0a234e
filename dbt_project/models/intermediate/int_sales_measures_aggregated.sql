-- Owner-based KPI measures of the run's range per month and rep: orders, complaint tickets and
-- surveys of the customers the rep owns, leads assigned to the rep, customer measures looking back
-- before the month (int_customer_measures_aggregated). rep_id NULL collects what no rep owns, so
-- the company total is the sum of all rows.

with

orders as (

    select * from {{ ref('int_orders_valued') }}
    where {{ in_period_range('ordered_at') }}

),

lead_events as (

    select * from {{ ref('int_lead_events_unioned') }}

),

complaints as (

    select * from {{ ref('stg_crm__tickets') }}
    where category = 'complaint'
        and {{ in_period_range('opened_at') }}

),

surveys as (

    select * from {{ ref('stg_crm__surveys') }}
    where {{ in_period_range('responded_at') }}

),

customers as (

    select * from {{ ref('stg_commerce__customers') }}

),

customer_measures as (

    select * from {{ ref('int_customer_measures_aggregated') }}

),

order_measures as (

    select
        period,
        owner_rep_id as rep_id,
        sum(net_revenue) as revenue,
        count(*) as orders,
        sum(case when is_first_order then 1 else 0 end) as new_customers,
        sum(cost_of_goods) as cost_of_goods,
        sum(case when is_new_customer_order then net_revenue else 0 end) as new_customer_revenue,
        sum(case when is_new_customer_order then cost_of_goods else 0 end) as new_customer_cost_of_goods
    from orders
    group by
        period,
        owner_rep_id

),

lead_measures as (

    select
        period,
        rep_id,
        {% for column in lead_measure_columns() -%}
        sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from lead_events
    group by
        period,
        rep_id

),

-- complaint tickets and survey responses as countable service measures, one row each
service_events as (

    select
        customer_id,
        opened_at as occurred_at,
        1 as complaints,
        case
            when first_response_at <= {{ dbt.dateadd('hour', 24, 'opened_at') }} then 1 else 0
        end as complaints_answered_24h,
        0 as ratings,
        0 as satisfied_ratings,
        0 as nps_responses,
        0 as nps_promoters,
        0 as nps_detractors
    from complaints

    union all

    select
        customer_id,
        responded_at as occurred_at,
        0 as complaints,
        0 as complaints_answered_24h,
        case when scale = 'rating_1_5' then 1 else 0 end as ratings,
        case when scale = 'rating_1_5' and score >= 4 then 1 else 0 end as satisfied_ratings,
        case when scale = 'nps_0_10' then 1 else 0 end as nps_responses,
        case when scale = 'nps_0_10' and score >= 9 then 1 else 0 end as nps_promoters,
        case when scale = 'nps_0_10' and score <= 6 then 1 else 0 end as nps_detractors
    from surveys

),

service_measures as (

    select
        {{ month_of('service_events.occurred_at') }} as period,
        customers.owner_rep_id as rep_id,
        {% for column in service_measure_columns() -%}
        sum(service_events.{{ column }}) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from service_events
    left join customers
        on service_events.customer_id = customers.customer_id
    group by
        {{ month_of('service_events.occurred_at') }},
        customers.owner_rep_id

),

measure_keys as (

    select period, rep_id from order_measures
    union
    select period, rep_id from lead_measures
    union
    select period, rep_id from service_measures
    union
    select period, rep_id from customer_measures

),

final as (

    select
        measure_keys.period,
        measure_keys.rep_id,
        {% for column in order_measure_columns() + owner_order_measure_columns() -%}
        coalesce(order_measures.{{ column }}, 0) as {{ column }},
        {% endfor -%}
        {% for column in lead_measure_columns() -%}
        coalesce(lead_measures.{{ column }}, 0) as {{ column }},
        {% endfor -%}
        {% for column in service_measure_columns() -%}
        coalesce(service_measures.{{ column }}, 0) as {{ column }},
        {% endfor -%}
        {% for column in customer_measure_columns() -%}
        coalesce(customer_measures.{{ column }}, 0) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from measure_keys
    left join order_measures
        on measure_keys.period = order_measures.period
        and measure_keys.rep_id is not distinct from order_measures.rep_id
    left join lead_measures
        on measure_keys.period = lead_measures.period
        and measure_keys.rep_id is not distinct from lead_measures.rep_id
    left join service_measures
        on measure_keys.period = service_measures.period
        and measure_keys.rep_id is not distinct from service_measures.rep_id
    left join customer_measures
        on measure_keys.period = customer_measures.period
        and measure_keys.rep_id is not distinct from customer_measures.rep_id

)

select * from final
