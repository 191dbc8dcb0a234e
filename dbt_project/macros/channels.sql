{#- One row per configured channel (var channels): columns `channel`, `is_paid`; plus the no-touch
    channel (unpaid) when it is not one of them, since conversions without touch are credited to
    it. Names become SQL literals, so they are checked to be plain lower-case identifiers first. -#}
{% macro channel_rows() -%}
    {%- set channels = var('channels') | list -%}
    {%- if no_touch_channel() not in channels | map(attribute='channel') | list -%}
        {%- do channels.append({'channel': no_touch_channel(), 'is_paid': false}) -%}
    {%- endif -%}
    {%- for entry in channels -%}
        {%- if not modules.re.match('^[a-z][a-z0-9_]*$', entry['channel'] | string) -%}
            {{ exceptions.raise_compiler_error("var channels: '" ~ entry['channel'] ~ "' is not a lower-case channel name") }}
        {%- endif %}
    select
        cast('{{ entry["channel"] }}' as varchar) as channel,
        {{ 'true' if entry['is_paid'] else 'false' }} as is_paid
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}
{%- endmacro %}
