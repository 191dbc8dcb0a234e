{#- Custom schemas are used verbatim: `+schema: staging` builds in `staging`, not `<target>_staging`,
    so every warehouse has the same schema names (the BI-facing output contract). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
