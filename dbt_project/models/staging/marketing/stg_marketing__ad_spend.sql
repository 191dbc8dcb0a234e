with

source as (

    select * from {{ source('marketing', 'ad_spend') }}

),

deduplicated as (

    {{ latest_rows('source', ['date', 'channel', 'campaign_id'], 'ad_spend') }}

),

renamed as (

    select
        date as spend_date,
        channel,
        campaign_id,
        {{ mask_pii_shapes('campaign_name') }} as campaign_name,
        impressions,
        clicks,
        spend,
        currency,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
