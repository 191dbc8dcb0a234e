{#-
    A test of a mart rebuilt by month (tag `period`) or of a staging table built by month (tag
    `staged_by_month`) reads the run's months only: those are the rows the run rebuilt, and the others were tested when their months ran (a month's test must
    not cost a scan of the whole history). dbt's own `where` config still applies, and-ed with it. This
    overrides dbt's get_where_subquery, the documented hook for a runtime test filter: a `where`
    in yml is rendered at parse time, before a run's months are known.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append(config.get('where')) -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- if tested is not none and ('period' in tested.tags or 'staged_by_month' in tested.tags) -%}
        {%- do conditions.append(in_period_range('period')) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
