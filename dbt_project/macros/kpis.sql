{#- KPI measures: the numerators and denominators every KPI is computed from, per period and
    entity. Models aggregate them under these names; fct_kpi turns them into KPI rows. -#}

{% macro order_measure_columns() %}
    {{ return(['revenue', 'orders', 'new_customers']) }}
{% endmacro %}

{% macro lead_measure_columns() %}
    {{ return([
        'leads', 'disqualified_leads', 'mqls', 'mqls_with_sql', 'closed_leads', 'won_leads', 'won_lead_days',
        'won_deal_value', 'closed_sqls', 'won_sqls',
    ]) }}
{% endmacro %}

{#- Order measures only the owner view has: cost of goods, revenue of orders in their customer's
    first-order month. -#}
{% macro owner_order_measure_columns() %}
    {{ return(['cost_of_goods', 'new_customer_revenue', 'new_customer_cost_of_goods']) }}
{% endmacro %}

{#- Service measures of the owners' customers: complaint tickets (and those first answered within
    24 hours), rating_1_5 surveys (and those >= 4), nps_0_10 surveys (promoters 9-10, detractors
    0-6). -#}
{% macro service_measure_columns() %}
    {{ return([
        'complaints', 'complaints_answered_24h', 'ratings', 'satisfied_ratings', 'nps_responses',
        'nps_promoters', 'nps_detractors',
    ]) }}
{% endmacro %}

{#- Customer measures that look back before the month (int_customer_measures_aggregated). -#}
{% macro customer_measure_columns() %}
    {{ return([
        'revenue_previous_month', 'revenue_previous_year', 'active_customers', 'repeat_customers',
        'churn_base_customers', 'churned_customers', 'ltv_gross_margin', 'ltv_customers',
    ]) }}
{% endmacro %}

{#- Vars churn_window_months and ltv_horizon_months, checked to be positive whole numbers. -#}
{% macro _window_var(name) %}
    {%- set value = var(name) -%}
    {%- if not (value | string).isdigit() or value | int < 1 -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a positive whole number of months, got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value | int) }}
{% endmacro %}

{% macro churn_window_months() %}
    {{ return(_window_var('churn_window_months')) }}
{% endmacro %}

{% macro ltv_horizon_months() %}
    {{ return(_window_var('ltv_horizon_months')) }}
{% endmacro %}

{#- How many months before the range the customer measures read: a year (year-on-year growth),
    the churn window or the LTV horizon, whichever is longest. -#}
{% macro customer_history_months() %}
    {{ return([12, churn_window_months(), ltv_horizon_months() - 1] | max) }}
{% endmacro %}

{#- Owner-based measures (company, team, rep). -#}
{% macro sales_measure_columns() %}
    {{ return(
        order_measure_columns() + owner_order_measure_columns() + lead_measure_columns()
        + service_measure_columns() + customer_measure_columns()
    ) }}
{% endmacro %}

{#- Channel/campaign measures; revenue, orders, new_customers and cost_of_goods are credited under
    the primary model, revenue_<model> under each model. -#}
{% macro marketing_measure_columns() %}
    {%- set credited_revenue = [] -%}
    {%- for model in attribution_models() -%}
        {%- do credited_revenue.append('revenue_' ~ model) -%}
    {%- endfor -%}
    {{ return(
        ['spend', 'impressions', 'clicks', 'budget', 'invalid_spend'] + order_measure_columns() + ['cost_of_goods']
        + credited_revenue + lead_measure_columns()
    ) }}
{% endmacro %}

{#- The marketing measures the company adds up from every channel: spend and its funnel, and the
    new customers credited to paid channels (paid CAC). -#}
{% macro company_marketing_measure_columns() %}
    {{ return(['spend', 'impressions', 'clicks', 'budget', 'invalid_spend', 'paid_new_customers']) }}
{% endmacro %}

{#- KPIs no system records, entered by hand per team and rep (stg_plans__manual_kpis): the
    catalogue's KPIs from source manual_kpis, each a measure of the same name, taken as given
    (teams' values are not rolled up from their reps). -#}
{% macro manual_measure_columns() %}
    {%- set columns = [] -%}
    {%- for definition in kpi_definitions() if 'manual_kpis' in definition.sources -%}
        {%- do columns.append(definition.kpi) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{% macro kpi_measure_columns() %}
    {%- set columns = [] -%}
    {%- set measures = sales_measure_columns() + marketing_measure_columns() + company_marketing_measure_columns() + manual_measure_columns() -%}
    {%- for column in measures -%}
        {%- if column not in columns -%}
            {%- do columns.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#- Every KPI measure column, as a double: the ones in `available`, NULL for the others (so the
    entity types, which have different measures, can be unioned). -#}
{% macro kpi_measures_or_null(available) -%}
    {%- for column in kpi_measure_columns() %}
        {% if column in available -%}
            cast({{ column }} as double precision)
        {%- else -%}
            cast(null as double precision)
        {%- endif %} as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The KPI catalogue (pipelines/scoring/kpi_catalogue.yaml, which describes every field), passed
    by the pipeline as var `kpis` (pipelines/periods.py dbt_vars): dbt cannot read a file, and the
    vars reach every dbt invocation (the parse too: pipelines/transform/dbt_runner.py).
    dbt_project.yml's empty default only lets a bare `dbt parse` work; compiling without the
    catalogue is an error, never an empty fct_kpi. -#}
{% macro kpi_definitions() %}
    {%- set definitions = var('kpis') -%}
    {%- if execute and not definitions -%}
        {{ exceptions.raise_compiler_error("var kpis is empty: run dbt with the --vars of pipelines/periods.py dbt_vars, which carry the KPI catalogue") }}
    {%- endif -%}
    {{ return(definitions) }}
{% endmacro %}

{#- `coalesce(sum(<relation>.<column>), 0) as <column>` for each column, comma-separated: the
    roll-up of measures from a finer grain (no rows to roll up gives 0, not NULL). -#}
{% macro sum_measures(relation, columns) -%}
    {%- for column in columns %}
        coalesce(sum({{ relation }}.{{ column }}), 0) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The names of the KPIs with a sanity check: 'share' (a part of a whole, within 0..1 by
    definition: outside is a defect) or 'funnel_rate' (parts from different systems: above 1 is
    implausible but possible, so it only warns). -#}
{% macro checked_kpis(check) %}
    {%- set names = [] -%}
    {%- for definition in kpi_definitions() if definition.check == check -%}
        {%- do names.append(definition.kpi) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}

{#- Every source some KPI needs (a contract table, or `table.column`), each once. -#}
{% macro kpi_sources() %}
    {%- set sources = [] -%}
    {%- for definition in kpi_definitions() -%}
        {%- for needed in definition.sources if needed not in sources -%}
            {%- do sources.append(needed) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(sources) }}
{% endmacro %}

{#- The dbt source group (models/staging/<group>/_<group>__sources.yml) of a contract table. -#}
{% macro contract_source(table) %}
    {%- set groups = {
        'ad_spend': 'marketing', 'touchpoints': 'marketing', 'budgets': 'marketing',
        'leads': 'crm', 'reps': 'crm', 'teams': 'crm', 'tickets': 'crm', 'surveys': 'crm',
        'orders': 'commerce', 'order_items': 'commerce', 'customers': 'commerce', 'refunds': 'commerce',
        'targets': 'plans', 'manual_kpis': 'plans',
    } -%}
    {%- if table not in groups -%}
        {{ exceptions.raise_compiler_error("'" ~ table ~ "' is not a contract table with a dbt source") }}
    {%- endif -%}
    {{ return(groups[table]) }}
{% endmacro %}
