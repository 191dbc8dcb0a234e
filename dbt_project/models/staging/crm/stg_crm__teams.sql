with

source as (

    select * from {{ source('crm', 'teams') }}

),

deduplicated as (

    {{ latest_rows('source', ['team_id'], 'teams') }}

),

renamed as (

    select
        team_id,
        {{ mask_pii_shapes('team_name') }} as team_name,
        parent_team_id,
        stage,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
