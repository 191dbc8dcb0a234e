with

teams as (

    select * from {{ ref('stg_crm__teams') }}

),

team_hierarchy as (

    select * from {{ ref('int_team_hierarchy_flattened') }}

),

depths as (

    select
        team_id,
        count(*) as depth
    from team_hierarchy
    group by team_id

),

final as (

    select
        teams.team_id,
        teams.team_name,
        teams.parent_team_id,
        teams.stage,
        cast(depths.depth as integer) as depth
    from teams
    inner join depths
        on teams.team_id = depths.team_id

)

select * from final
