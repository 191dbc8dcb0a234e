{#- The attribution models, computed side by side (names as stored in fct_attribution.model).
    Keep in step with pipelines/config.py: ATTRIBUTION_MODELS. -#}
{% macro attribution_models() %}
    {{ return(['first_touch', 'last_touch', 'last_non_direct', 'linear', 'time_decay', 'position_based']) }}
{% endmacro %}

{#- One row per attribution model: column `model`. -#}
{% macro attribution_model_rows() -%}
    {%- for model in attribution_models() %}
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
