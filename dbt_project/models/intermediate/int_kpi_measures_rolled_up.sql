-- KPI measures per month of the run's range and entity, every entity type in one shape (the
-- measures a type does not have are NULL): the company (everything), teams (their reps and the
-- reps of all descendant teams), reps (employed in the month, or owning activity or a manual
-- input in it), channels (every configured one) and campaigns (any activity in the month).
-- Teams and reps also carry their manual KPI inputs of the month, as given (NULL - none).

{%- set company_marketing_columns = company_marketing_measure_columns() %}
{%- set company_columns = sales_measure_columns() + company_marketing_columns %}

with

periods as (

    {{ period_spine() }}

),

sales as (

    select * from {{ ref('int_sales_measures_aggregated') }}

),

marketing as (

    select * from {{ ref('int_marketing_measures_aggregated') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

teams as (

    select * from {{ ref('stg_crm__teams') }}

),

team_hierarchy as (

    select * from {{ ref('int_team_hierarchy_flattened') }}

),

touch_measures as (

    select * from {{ ref('int_touch_measures_aggregated') }}

),

lead_cycle_medians as (

    select * from {{ ref('int_lead_cycle_medians') }}

),

channels as (

    {{ channel_rows() }}

),

manual_kpis as (

    select * from {{ ref('stg_plans__manual_kpis') }}
    where period_grain = 'month'
        and entity_type in ('team', 'rep')
        and {{ in_period_range('period') }}

),

manual_measures as (

    select
        period,
        entity_type,
        entity_id,
        {% for column in manual_measure_columns() -%}
        max(case when kpi = '{{ column }}' then value end) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from manual_kpis
    group by
        period,
        entity_type,
        entity_id

),

company_sales as (

    select
        periods.period,
        {{ sum_measures('sales', sales_measure_columns()) }}
    from periods
    left join sales
        on periods.period = sales.period
    group by periods.period

),

company_marketing as (

    select
        periods.period,
        {{ sum_measures('marketing', company_marketing_columns) }}
    from periods
    left join marketing
        on periods.period = marketing.period
    group by periods.period

),

company_measures as (

    select
        company_sales.*,
        {% for column in company_marketing_columns -%}
        company_marketing.{{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from company_sales
    inner join company_marketing
        on company_sales.period = company_marketing.period

),

rep_months as (

    select
        periods.period,
        reps.rep_id
    from periods
    cross join reps
    -- a rep without a hire date (CRM owner lists carry none) counts as employed since ever
    where (reps.hired_at is null or reps.hired_at < {{ dbt.dateadd('month', 1, 'periods.period') }})
        and (reps.left_at is null or reps.left_at >= periods.period)

    union

    select
        sales.period,
        sales.rep_id
    from sales
    inner join reps
        on sales.rep_id = reps.rep_id

    union

    select
        manual_measures.period,
        manual_measures.entity_id as rep_id
    from manual_measures
    inner join reps
        on manual_measures.entity_id = reps.rep_id
    where manual_measures.entity_type = 'rep'

),

rep_measures as (

    select
        rep_months.period,
        rep_months.rep_id,
        {{ sum_measures('sales', sales_measure_columns()) }}
    from rep_months
    left join sales
        on rep_months.period = sales.period
        and rep_months.rep_id = sales.rep_id
    group by
        rep_months.period,
        rep_months.rep_id

),

team_measures as (

    select
        periods.period,
        teams.team_id,
        {{ sum_measures('rep_measures', sales_measure_columns()) }}
    from periods
    cross join teams
    left join team_hierarchy
        on teams.team_id = team_hierarchy.ancestor_team_id
    left join reps
        on team_hierarchy.team_id = reps.team_id
    left join rep_measures
        on periods.period = rep_measures.period
        and reps.rep_id = rep_measures.rep_id
    group by
        periods.period,
        teams.team_id

),

channel_measures as (

    select
        periods.period,
        channels.channel,
        {{ sum_measures('marketing', marketing_measure_columns()) }}
    from periods
    cross join channels
    left join marketing
        on periods.period = marketing.period
        and channels.channel = marketing.channel
    group by
        periods.period,
        channels.channel

),

people_measures as (

    select
        period,
        cast('team' as varchar) as entity_type,
        team_id as entity_id,
        {{ sales_measure_columns() | join(',\n        ') }}
    from team_measures

    union all

    select
        period,
        cast('rep' as varchar) as entity_type,
        rep_id as entity_id,
        {{ sales_measure_columns() | join(',\n        ') }}
    from rep_measures

),

people_measures_with_manual as (

    select
        people_measures.*,
        {% for column in manual_measure_columns() -%}
        manual_measures.{{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from people_measures
    left join manual_measures
        on people_measures.period = manual_measures.period
        and people_measures.entity_type = manual_measures.entity_type
        and people_measures.entity_id = manual_measures.entity_id

),

campaign_measures as (

    select
        period,
        campaign_id,
        {{ sum_measures('marketing', marketing_measure_columns()) }}
    from marketing
    where campaign_id is not null
    group by
        period,
        campaign_id

),

entity_measures as (

    select
        period,
        cast('company' as varchar) as entity_type,
        cast('company' as varchar) as entity_id,
        {{ kpi_measures_or_null(company_columns) }}
    from company_measures

    union all

    select
        period,
        entity_type,
        entity_id,
        {{ kpi_measures_or_null(sales_measure_columns() + manual_measure_columns()) }}
    from people_measures_with_manual

    union all

    select
        period,
        cast('channel' as varchar) as entity_type,
        channel as entity_id,
        {{ kpi_measures_or_null(marketing_measure_columns()) }}
    from channel_measures

    union all

    select
        period,
        cast('campaign' as varchar) as entity_type,
        campaign_id as entity_id,
        {{ kpi_measures_or_null(marketing_measure_columns()) }}
    from campaign_measures

),

-- the measures that do not add up, computed per entity: visitors (and sessions with them) and the
-- median lead-to-deal days
final as (

    select
        entity_measures.*,
        case
            when entity_measures.entity_type in ('company', 'channel', 'campaign')
                then cast(coalesce(touch_measures.sessions, 0) as double precision)
        end as sessions,
        case
            when entity_measures.entity_type in ('company', 'channel', 'campaign')
                then cast(coalesce(touch_measures.visitors, 0) as double precision)
        end as visitors,
        cast(lead_cycle_medians.won_lead_days_median as double precision) as won_lead_days_median
    from entity_measures
    left join touch_measures
        on entity_measures.period = touch_measures.period
        and entity_measures.entity_type = touch_measures.entity_type
        and entity_measures.entity_id = touch_measures.entity_id
    left join lead_cycle_medians
        on entity_measures.period = lead_cycle_medians.period
        and entity_measures.entity_type = lead_cycle_medians.entity_type
        and entity_measures.entity_id = lead_cycle_medians.entity_id

)

select * from final
