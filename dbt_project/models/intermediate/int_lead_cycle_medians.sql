-- Median days from lead creation to close of the leads won in each month of the run's range, for
-- the company, each rep and each team (its reps and all descendant teams' reps). A median does
-- not roll up from finer grains, so each entity type is computed from the leads themselves.

with

leads as (

    select * from {{ ref('stg_crm__leads') }}
    where status = 'won'
        and {{ in_period_range('closed_at') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

team_hierarchy as (

    select * from {{ ref('int_team_hierarchy_flattened') }}

),

won_leads as (

    select
        {{ month_of('closed_at') }} as period,
        rep_id,
        {{ days_between('created_at', 'closed_at') }} as lead_days
    from leads

),

-- each won lead once for the company, once for its rep and once for its rep's team and each
-- of that team's ancestors
entity_won_leads as (

    select
        period,
        cast('company' as varchar) as entity_type,
        cast('company' as varchar) as entity_id,
        lead_days
    from won_leads

    union all

    select
        period,
        cast('rep' as varchar) as entity_type,
        rep_id as entity_id,
        lead_days
    from won_leads
    where rep_id is not null

    union all

    select
        won_leads.period,
        cast('team' as varchar) as entity_type,
        team_hierarchy.ancestor_team_id as entity_id,
        won_leads.lead_days
    from won_leads
    inner join reps
        on won_leads.rep_id = reps.rep_id
    inner join team_hierarchy
        on reps.team_id = team_hierarchy.team_id

),

final as (

    select
        period,
        entity_type,
        entity_id,
        {{ median('lead_days') }} as won_lead_days_median
    from entity_won_leads
    group by
        period,
        entity_type,
        entity_id

)

select * from final
