{{ staged_by_month('touchpoints') }}

-- Built by month (macro months_to_stage): a touch belongs to the month of the file it came in.

with

source as (

    select * from {{ source('marketing', 'touchpoints') }}
    {%- if builds_in_place() %}
    where _period in ({{ months_to_stage('touchpoints') }})
    {%- endif %}

),

deduplicated as (

    {{ latest_rows('source', ['_period', 'touchpoint_id'], 'touchpoints') }}

),

renamed as (

    select
        touchpoint_id,
        visitor_id,
        customer_id,
        occurred_at,
        channel,
        campaign_id,
        touch_type,
        _period as period,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
