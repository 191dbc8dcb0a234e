-- Team hierarchy closure: every (team, ancestor) pair including the team itself, so a team's
-- figures roll up all its descendant teams with one join.

with recursive

teams as (

    select * from {{ ref('stg_crm__teams') }}

),

closure as (

    select
        team_id,
        team_id as ancestor_team_id,
        0 as distance
    from teams

    union all

    select
        closure.team_id,
        teams.parent_team_id as ancestor_team_id,
        closure.distance + 1 as distance
    from closure
    inner join teams
        on closure.ancestor_team_id = teams.team_id
    where teams.parent_team_id is not null
        -- stops a cyclic hierarchy (bad input) from recursing forever
        and closure.distance < 100

),

final as (

    select
        team_id,
        ancestor_team_id,
        distance
    from closure

)

select * from final
