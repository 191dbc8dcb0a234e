{#- The attribution models, computed side by side (names as stored in fct_attribution.model).
    Keep in step with pipelines/config.py: ATTRIBUTION_MODELS. -#}
{% macro attribution_models() %}
    {{ return(rule_based_models() + data_driven_models()) }}
{% endmacro %}

{#- Computed per touch in SQL. -#}
{% macro rule_based_models() %}
    {{ return(['first_touch', 'last_touch', 'last_non_direct', 'linear', 'time_decay', 'position_based', 'w_shaped']) }}
{% endmacro %}

{#- Channel weights learned in Python from the period's paths (pipelines/attribution), joined
    back to the touches in SQL. -#}
{% macro data_driven_models() %}
    {{ return(['markov', 'shapley']) }}
{% endmacro %}

{#- var lookback_days ({conversion type: days}), checked: a CASE giving the lookback of the
    conversion type in `conversion_type`. -#}
{% macro lookback_days_of(conversion_type) -%}
    case {{ conversion_type }}
    {%- for type, days in _lookback_days().items() %}
        when '{{ type }}' then {{ days }}
    {%- endfor %}
    end
{%- endmacro %}

{% macro max_lookback_days() %}
    {{ return(_lookback_days().values() | max) }}
{% endmacro %}

{% macro _lookback_days() %}
    {%- set days = var('lookback_days') -%}
    {%- set expected = ['order', 'lead', 'won_deal'] -%}
    {%- if days is not mapping or days.keys() | sort != expected | sort -%}
        {{ exceptions.raise_compiler_error("var lookback_days must map each of " ~ expected | join(', ') ~ " to a number of days, got " ~ days) }}
    {%- endif -%}
    {%- for type in expected -%}
        {%- if days[type] is not number or days[type] < 1 -%}
            {{ exceptions.raise_compiler_error("var lookback_days." ~ type ~ " must be a positive number of days, got " ~ days[type]) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(days) }}
{% endmacro %}

{#- var `model`.`part` (a share of the credit, 0..1), checked: it becomes a SQL literal. -#}
{% macro attribution_share(model, part) -%}
    {%- set value = var(model)[part] -%}
    {%- if value is not number or value < 0 or value > 1 -%}
        {{ exceptions.raise_compiler_error("var " ~ model ~ "." ~ part ~ " must be a share between 0 and 1, got " ~ value) }}
    {%- endif -%}
    cast({{ value }} as double precision)
{%- endmacro %}

{#- One row per attribution model (by default all of them): column `model`. -#}
{% macro attribution_model_rows(models=none) -%}
    {%- for model in models or attribution_models() %}
    select cast('{{ model }}' as varchar) as model
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}
{%- endmacro %}

{#- var primary_model, checked: the model behind channel/campaign revenue, orders and CAC. -#}
{% macro primary_model() %}
    {%- set model = var('primary_model') -%}
    {%- if model not in attribution_models() -%}
        {{ exceptions.raise_compiler_error("var primary_model must be one of " ~ attribution_models() | join(', ') ~ ", got '" ~ model ~ "'") }}
    {%- endif -%}
    {{ return(model) }}
{% endmacro %}

{#- var no_touch_channel, checked (it becomes a SQL literal): where a conversion without any touch
    is credited. -#}
{% macro no_touch_channel() %}
    {%- set channel = var('no_touch_channel') | string -%}
    {%- if not modules.re.match('^[a-z][a-z0-9_]*$', channel) -%}
        {{ exceptions.raise_compiler_error("var no_touch_channel must be a lower-case channel name, got '" ~ channel ~ "'") }}
    {%- endif -%}
    {{ return(channel) }}
{% endmacro %}

{#- The channels of a group's touches in time order (an aggregate), in a form that groups
    cheaply; channel_path() turns it into the stored text. `order_by` lists the columns that order
    the touches; the last must make the order unique. -#}
{% macro channel_sequence(channel, order_by) -%}
    {{ return(adapter.dispatch('channel_sequence')(channel, order_by)) }}
{%- endmacro %}

{#- A channel_sequence() as text: the channels joined by ' > '. -#}
{% macro channel_path(sequence) -%}
    {{ return(adapter.dispatch('channel_path')(sequence)) }}
{%- endmacro %}

{% macro default__channel_sequence(channel, order_by) -%}
    {{ dbt.listagg(channel, "' > '", 'order by ' ~ order_by | join(', ')) }}
{%- endmacro %}

{% macro default__channel_path(sequence) -%}
    {{ sequence }}
{%- endmacro %}

{#- A list: DuckDB sorts a list of structs several times faster than it runs an ordered
    aggregate, and groups journeys by their lists faster than it joins each list into text (the
    text is made once per distinct path instead: README, Attribution at scale). The channel is
    held as an ENUM of the configured channels (one byte, not a string): a list aggregate's
    states cannot spill, and with strings 10M touches ran out of a 3 GB memory limit. -#}
{% macro duckdb__channel_sequence(channel, order_by) -%}
    list_transform(
        list_sort(
            list(struct_pack(
                {%- for column in order_by %}
                sort_key_{{ loop.index }} := {{ column }},
                {%- endfor %}
                channel := cast({{ channel }} as {{ channel_enum() }})
            ))
        ),
        touch -> touch.channel
    )
{%- endmacro %}

{#- DuckDB's ENUM of the configured channels (names are checked identifiers: pipelines/channels.py). -#}
{% macro channel_enum() -%}
    enum(
        {%- for channel in var('channels') -%}
            '{{ channel.channel }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}

{% macro duckdb__channel_path(sequence) -%}
    array_to_string({{ sequence }}, ' > ')
{%- endmacro %}

{#- What a credit row says about its conversion and touch, ahead of `model` and `credit`. -#}
{% macro credit_row_columns() %}
    {{ return(['conversion_id', 'conversion_type', 'period', 'converted_at', 'conversion_value',
               'is_new_customer', 'touchpoint_id', 'touch_position', 'path_length', 'channel',
               'campaign_id']) }}
{% endmacro %}
