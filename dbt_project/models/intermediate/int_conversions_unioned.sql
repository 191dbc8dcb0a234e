-- The conversions of the run's range, one row each: orders (valued at net revenue), leads
-- reaching MQL (value 0) and won deals (deal value), with the identity their paths are built from,
-- the lookback window of their type and, for won deals, when the lead was created (W-shaped).

with

orders as (

    select * from {{ ref('int_orders_valued') }}
    where {{ in_period_range('ordered_at') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

order_conversions as (

    select
        'order:' || order_id as conversion_id,
        'order' as conversion_type,
        ordered_at as converted_at,
        net_revenue as conversion_value,
        is_first_order as is_new_customer,
        customer_id,
        cast(null as varchar) as visitor_id,
        cast(null as timestamp) as lead_created_at
    from orders

),

lead_conversions as (

    select
        'lead:' || lead_id as conversion_id,
        'lead' as conversion_type,
        mql_at as converted_at,
        0 as conversion_value,
        false as is_new_customer,
        customer_id,
        visitor_id,
        cast(null as timestamp) as lead_created_at
    from leads
    where {{ in_period_range('mql_at') }}

),

won_deal_conversions as (

    select
        'won_deal:' || lead_id as conversion_id,
        'won_deal' as conversion_type,
        closed_at as converted_at,
        coalesce(deal_value, 0) as conversion_value,
        false as is_new_customer,
        customer_id,
        visitor_id,
        created_at as lead_created_at
    from leads
    where status = 'won'
        and {{ in_period_range('closed_at') }}

),

unioned as (

    select * from order_conversions
    union all
    select * from lead_conversions
    union all
    select * from won_deal_conversions

),

final as (

    select
        conversion_id,
        cast(conversion_type as varchar) as conversion_type,
        {{ month_of('converted_at') }} as period,
        converted_at,
        cast(conversion_value as {{ amount_type() }}) as conversion_value,
        is_new_customer,
        customer_id,
        visitor_id,
        lead_created_at,
        {{ lookback_days_of('conversion_type') }} as lookback_days
    from unioned

)

select * from final
