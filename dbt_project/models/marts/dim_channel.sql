-- The configured channels (var channels, from config/pipeline.yaml) and the no-touch channel.

with

channels as (

    {{ channel_rows() }}

),

final as (

    select
        channel,
        is_paid
    from channels

)

select * from final
