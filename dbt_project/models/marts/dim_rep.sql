with

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

final as (

    select
        rep_id,
        rep_name,
        team_id,
        role,
        hired_at,
        left_at
    from reps

)

select * from final
