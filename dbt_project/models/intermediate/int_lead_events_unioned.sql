-- Lead funnel events of the run's range, one row per lead and event, as countable measures:
-- created (a lead; disqualified or not), qualified (an MQL, with or without SQL), closed (won or
-- lost; with or without SQL).

with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

created as (

    select
        lead_id,
        rep_id,
        origin_channel,
        campaign_id,
        'created' as lead_event,
        {{ month_of('created_at') }} as period,
        1 as leads,
        case when status = 'disqualified' then 1 else 0 end as disqualified_leads,
        0 as mqls,
        0 as mqls_with_sql,
        0 as closed_leads,
        0 as won_leads,
        0 as won_lead_days,
        0 as won_deal_value,
        0 as closed_sqls,
        0 as won_sqls
    from leads
    where {{ in_period_range('created_at') }}

),

qualified as (

    select
        lead_id,
        rep_id,
        origin_channel,
        campaign_id,
        'qualified' as lead_event,
        {{ month_of('mql_at') }} as period,
        0 as leads,
        0 as disqualified_leads,
        1 as mqls,
        case when sql_at is not null then 1 else 0 end as mqls_with_sql,
        0 as closed_leads,
        0 as won_leads,
        0 as won_lead_days,
        0 as won_deal_value,
        0 as closed_sqls,
        0 as won_sqls
    from leads
    where {{ in_period_range('mql_at') }}

),

closed as (

    select
        lead_id,
        rep_id,
        origin_channel,
        campaign_id,
        'closed' as lead_event,
        {{ month_of('closed_at') }} as period,
        0 as leads,
        0 as disqualified_leads,
        0 as mqls,
        0 as mqls_with_sql,
        1 as closed_leads,
        case when status = 'won' then 1 else 0 end as won_leads,
        case
            when status = 'won'
                then {{ days_between('created_at', 'closed_at') }}
            else 0
        end as won_lead_days,
        case when status = 'won' then coalesce(deal_value, 0) else 0 end as won_deal_value,
        case when sql_at is not null then 1 else 0 end as closed_sqls,
        case when status = 'won' and sql_at is not null then 1 else 0 end as won_sqls
    from leads
    where status in ('won', 'lost')
        and {{ in_period_range('closed_at') }}

),

unioned as (

    select * from created
    union all
    select * from qualified
    union all
    select * from closed

),

final as (

    select
        lead_id,
        rep_id,
        origin_channel,
        campaign_id,
        cast(lead_event as varchar) as lead_event,
        period,
        {% for column in lead_measure_columns() -%}
        cast({{ column }} as double precision) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from unioned

)

select * from final
