with

source as (

    select * from {{ source('marketing', 'budgets') }}

),

deduplicated as (

    {{ latest_rows('source', ['month', 'channel', 'campaign_id'], 'budgets') }}

),

renamed as (

    select
        cast(month as date) as period,
        channel,
        campaign_id,
        budget,
        currency,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
