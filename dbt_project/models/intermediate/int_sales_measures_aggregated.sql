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

complaint_measures as (

    select
        {{ month_of('complaints.opened_at') }} as period,
        customers.owner_rep_id as rep_id,
        count(*) as complaints,
        sum(
            case
                when complaints.first_response_at <= {{ dbt.dateadd('hour', 24, 'complaints.opened_at') }}
                    then 1
                else 0
            end
        ) as complaints_answered_24h
    from complaints
    left join customers
        on complaints.customer_id = customers.customer_id
    group by
        {{ month_of('complaints.opened_at') }},
        customers.owner_rep_id

),

survey_measures as (

    select
        {{ month_of('surveys.responded_at') }} as period,
        customers.owner_rep_id as rep_id,
        sum(case when surveys.scale = 'rating_1_5' then 1 else 0 end) as ratings,
        sum(case when surveys.scale = 'rating_1_5' and surveys.score >= 4 then 1 else 0 end) as satisfied_ratings,
        sum(case when surveys.scale = 'nps_0_10' then 1 else 0 end) as nps_responses,
        sum(case when surveys.scale = 'nps_0_10' and surveys.score >= 9 then 1 else 0 end) as nps_promoters,
        sum(case when surveys.scale = 'nps_0_10' and surveys.score <= 6 then 1 else 0 end) as nps_detractors
    from surveys
    left join customers
        on surveys.customer_id = customers.customer_id
    group by
        {{ month_of('surveys.responded_at') }},
        customers.owner_rep_id

),

measure_keys as (

    select period, rep_id from order_measures
    union
    select period, rep_id from lead_measures
    union
    select period, rep_id from complaint_measures
    union
    select period, rep_id from survey_measures
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
        {% for column in complaint_measure_columns() -%}
        coalesce(complaint_measures.{{ column }}, 0) as {{ column }},
        {% endfor -%}
        {% for column in survey_measure_columns() -%}
        coalesce(survey_measures.{{ column }}, 0) as {{ column }},
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
    left join complaint_measures
        on measure_keys.period = complaint_measures.period
        and measure_keys.rep_id is not distinct from complaint_measures.rep_id
    left join survey_measures
        on measure_keys.period = survey_measures.period
        and measure_keys.rep_id is not distinct from survey_measures.rep_id
    left join customer_measures
        on measure_keys.period = customer_measures.period
        and measure_keys.rep_id is not distinct from customer_measures.rep_id

)

select * from final
