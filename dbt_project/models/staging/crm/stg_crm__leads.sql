with

source as (

    select * from {{ source('crm', 'leads') }}

),

deduplicated as (

    {{ latest_rows('source', ['lead_id'], 'leads') }}

),

renamed as (

    select
        lead_id,
        created_at,
        visitor_id,
        customer_id,
        origin_channel,
        campaign_id,
        mql_at,
        sql_at,
        rep_id,
        status,
        closed_at,
        deal_value,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
