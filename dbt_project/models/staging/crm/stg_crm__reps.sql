with

source as (

    select * from {{ source('crm', 'reps') }}

),

deduplicated as (

    {{ latest_rows('source', ['rep_id']) }}

),

renamed as (

    select
        rep_id,
        rep_name,
        team_id,
        role,
        hired_at,
        left_at,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
