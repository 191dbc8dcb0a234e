with

source as (

    select * from {{ source('crm', 'reps') }}

),

deduplicated as (

    {{ latest_rows('source', ['rep_id'], 'reps') }}

),

renamed as (

    select
        rep_id,
        {{ mask_pii_shapes('rep_name') }} as rep_name,
        team_id,
        {{ mask_pii_shapes('role') }} as role,
        hired_at,
        left_at,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
