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

{#- KPIs no system records, entered by hand per team and rep (stg_plans__manual_kpis): each is a
    measure of the same name, taken as given (teams' values are not rolled up from their reps). -#}
{% macro manual_kpis() %}
    {{ return([
        {'kpi': 'training_completion', 'unit': 'ratio'},
        {'kpi': 'compliance_rate', 'unit': 'ratio'},
        {'kpi': 'innovation_proposals', 'unit': 'count'},
    ]) }}
{% endmacro %}

{% macro manual_measure_columns() %}
    {{ return(manual_kpis() | map(attribute='kpi') | list) }}
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

{#- The KPI catalogue. numerator/denominator are SQL over the KPI measures; a KPI without a
    denominator is its numerator (NULL with `null_reason`, if it has one, when the numerator is
    NULL); with one, value = scale * numerator / denominator, NULL with `null_reason` when the
    denominator is 0. -#}
{% macro kpi_definitions() %}
    {%- set all_types = ['company', 'team', 'rep', 'channel', 'campaign'] -%}
    {%- set sales_types = ['company', 'team', 'rep'] -%}
    {%- set marketing_types = ['company', 'channel', 'campaign'] -%}
    {%- set people_types = ['team', 'rep'] -%}
    {%- set definitions = [
        {'kpi': 'revenue', 'unit': 'currency', 'numerator': 'revenue', 'entity_types': all_types},
        {'kpi': 'orders', 'unit': 'count', 'numerator': 'orders', 'entity_types': all_types},
        {'kpi': 'aov', 'unit': 'currency', 'numerator': 'revenue', 'denominator': 'orders',
         'null_reason': 'no orders in period', 'entity_types': all_types},
        {'kpi': 'spend', 'unit': 'currency', 'numerator': 'spend', 'entity_types': marketing_types},
        {'kpi': 'impressions', 'unit': 'count', 'numerator': 'impressions', 'entity_types': marketing_types},
        {'kpi': 'clicks', 'unit': 'count', 'numerator': 'clicks', 'entity_types': marketing_types},
        {'kpi': 'ctr', 'unit': 'ratio', 'numerator': 'clicks', 'denominator': 'impressions',
         'null_reason': 'no impressions in period', 'entity_types': marketing_types},
        {'kpi': 'cpc', 'unit': 'currency', 'numerator': 'spend', 'denominator': 'clicks',
         'null_reason': 'no clicks in period', 'entity_types': marketing_types},
        {'kpi': 'cpm', 'unit': 'currency', 'numerator': 'spend', 'denominator': 'impressions', 'scale': 1000,
         'null_reason': 'no impressions in period', 'entity_types': marketing_types},
        {'kpi': 'cost_per_lead', 'unit': 'currency', 'numerator': 'spend', 'denominator': 'leads',
         'null_reason': 'no leads in period', 'entity_types': marketing_types},
        {'kpi': 'valid_lead_share', 'unit': 'ratio', 'numerator': 'leads - disqualified_leads',
         'denominator': 'leads', 'null_reason': 'no leads in period', 'entity_types': all_types},
        {'kpi': 'sql_to_won_rate', 'unit': 'ratio', 'numerator': 'won_sqls', 'denominator': 'closed_sqls',
         'null_reason': 'no SQLs closed in period', 'entity_types': all_types},
        {'kpi': 'roas', 'unit': 'ratio', 'numerator': 'revenue', 'denominator': 'spend',
         'null_reason': 'no spend in period', 'entity_types': marketing_types},
        {'kpi': 'cac', 'unit': 'currency', 'numerator': 'spend', 'denominator': 'new_customers',
         'null_reason': 'no new customers in period', 'entity_types': marketing_types},
        {'kpi': 'new_customers', 'unit': 'count', 'numerator': 'new_customers', 'entity_types': all_types},
        {'kpi': 'leads', 'unit': 'count', 'numerator': 'leads', 'entity_types': all_types},
        {'kpi': 'mql_to_sql_rate', 'unit': 'ratio', 'numerator': 'mqls_with_sql', 'denominator': 'mqls',
         'null_reason': 'no MQLs in period', 'entity_types': all_types},
        {'kpi': 'win_rate', 'unit': 'ratio', 'numerator': 'won_leads', 'denominator': 'closed_leads',
         'null_reason': 'no leads closed in period', 'entity_types': all_types},
        {'kpi': 'lead_to_deal_days', 'unit': 'days', 'numerator': 'won_lead_days', 'denominator': 'won_leads',
         'null_reason': 'no deals won in period', 'entity_types': sales_types},
        {'kpi': 'lead_to_deal_days_median', 'unit': 'days', 'numerator': 'won_lead_days_median',
         'null_reason': 'no deals won in period', 'entity_types': sales_types},
        {'kpi': 'sessions', 'unit': 'count', 'numerator': 'sessions', 'entity_types': marketing_types},
        {'kpi': 'conversion_rate', 'unit': 'ratio', 'numerator': 'orders', 'denominator': 'visitors',
         'null_reason': 'no visitors in period', 'entity_types': marketing_types},
        {'kpi': 'won_deal_value', 'unit': 'currency', 'numerator': 'won_deal_value', 'entity_types': sales_types},
        {'kpi': 'complaint_rate', 'unit': 'per_100_orders', 'numerator': 'complaints', 'denominator': 'orders',
         'scale': 100, 'null_reason': 'no orders in period', 'entity_types': sales_types},
        {'kpi': 'gross_margin_pct', 'unit': 'ratio', 'numerator': 'revenue - cost_of_goods', 'denominator': 'revenue',
         'null_reason': 'no revenue in period', 'entity_types': all_types},
        {'kpi': 'new_customer_revenue_share', 'unit': 'ratio', 'numerator': 'new_customer_revenue',
         'denominator': 'revenue', 'null_reason': 'no revenue in period', 'entity_types': sales_types},
        {'kpi': 'marketing_roi', 'unit': 'ratio', 'numerator': 'revenue - cost_of_goods - spend',
         'denominator': 'spend', 'null_reason': 'no spend in period', 'entity_types': marketing_types},
        {'kpi': 'complaints_answered_24h_share', 'unit': 'ratio', 'numerator': 'complaints_answered_24h',
         'denominator': 'complaints', 'null_reason': 'no complaints in period', 'entity_types': sales_types},
        {'kpi': 'satisfaction', 'unit': 'ratio', 'numerator': 'satisfied_ratings', 'denominator': 'ratings',
         'null_reason': 'no ratings in period', 'entity_types': sales_types},
        {'kpi': 'nps', 'unit': 'points', 'numerator': 'nps_promoters - nps_detractors',
         'denominator': 'nps_responses', 'scale': 100, 'null_reason': 'no NPS responses in period',
         'entity_types': sales_types},
        {'kpi': 'revenue_growth_mom', 'unit': 'ratio', 'numerator': 'revenue - revenue_previous_month',
         'denominator': 'revenue_previous_month', 'null_reason': 'no revenue in previous month',
         'entity_types': sales_types},
        {'kpi': 'revenue_growth_yoy', 'unit': 'ratio', 'numerator': 'revenue - revenue_previous_year',
         'denominator': 'revenue_previous_year', 'null_reason': 'no revenue in same month last year',
         'entity_types': sales_types},
        {'kpi': 'repurchase_rate', 'unit': 'ratio', 'numerator': 'repeat_customers', 'denominator': 'active_customers',
         'null_reason': 'no customers ordered in period', 'entity_types': sales_types},
        {'kpi': 'churn_rate', 'unit': 'ratio', 'numerator': 'churned_customers', 'denominator': 'churn_base_customers',
         'null_reason': 'no customers in churn window', 'entity_types': sales_types},
        {'kpi': 'ltv', 'unit': 'currency', 'numerator': 'ltv_gross_margin', 'denominator': 'ltv_customers',
         'null_reason': 'no customers in LTV horizon', 'entity_types': sales_types},
        {'kpi': 'ltv_to_cac', 'unit': 'ratio', 'numerator': safe_divide('ltv_gross_margin', 'ltv_customers'),
         'denominator': safe_divide('spend', 'new_customers'), 'null_reason': 'no CAC for period',
         'entity_types': ['company']},
        {'kpi': 'cac_paid', 'unit': 'currency', 'numerator': 'spend', 'denominator': 'paid_new_customers',
         'null_reason': 'no new customers from paid channels in period', 'entity_types': ['company']},
        {'kpi': 'cac_payback_months', 'unit': 'months', 'numerator': 'spend',
         'denominator': 'new_customer_revenue - new_customer_cost_of_goods',
         'null_reason': 'no new-customer gross margin in period', 'entity_types': ['company']},
        {'kpi': 'invalid_spend_share', 'unit': 'ratio', 'numerator': 'invalid_spend', 'denominator': 'spend',
         'null_reason': 'no spend in period', 'entity_types': marketing_types},
        {'kpi': 'budget_deviation', 'unit': 'ratio', 'numerator': 'spend - budget', 'denominator': 'budget',
         'null_reason': 'no budget for period', 'entity_types': marketing_types},
    ] -%}
    {%- for model in attribution_models() -%}
        {%- do definitions.append(
            {'kpi': 'roas_' ~ model, 'unit': 'ratio', 'numerator': 'revenue_' ~ model, 'denominator': 'spend',
             'null_reason': 'no spend in period', 'entity_types': ['channel', 'campaign']}
        ) -%}
    {%- endfor -%}
    {%- for manual in manual_kpis() -%}
        {%- do definitions.append(
            {'kpi': manual.kpi, 'unit': manual.unit, 'numerator': manual.kpi,
             'null_reason': 'no manual input for period', 'entity_types': people_types}
        ) -%}
    {%- endfor -%}
    {{ return(definitions) }}
{% endmacro %}

{#- `coalesce(sum(<relation>.<column>), 0) as <column>` for each column, comma-separated: the
    roll-up of measures from a finer grain (no rows to roll up gives 0, not NULL). -#}
{% macro sum_measures(relation, columns) -%}
    {%- for column in columns %}
        coalesce(sum({{ relation }}.{{ column }}), 0) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- KPIs whose value is a share of a whole, so within 0..1 by definition: the numerator counts a
    part of what the denominator counts (the manual rates are entered as such shares). A value
    outside is a defect, not a surprise. -#}
{% macro share_kpis() %}
    {{ return(_defined_kpis([
        'valid_lead_share', 'mql_to_sql_rate', 'sql_to_won_rate', 'win_rate', 'repurchase_rate',
        'churn_rate', 'new_customer_revenue_share', 'complaints_answered_24h_share', 'satisfaction',
        'invalid_spend_share', 'training_completion', 'compliance_rate',
    ])) }}
{% endmacro %}

{#- Rates whose parts come from different systems (ad platforms' clicks and impressions, web
    visitors and orders): above 1 is implausible but possible, so it only warns. -#}
{% macro funnel_rate_kpis() %}
    {{ return(_defined_kpis(['ctr', 'conversion_rate'])) }}
{% endmacro %}

{#- The names, checked to be KPIs of kpi_definitions(): a renamed KPI must not drop out of a check
    unnoticed. -#}
{% macro _defined_kpis(names) %}
    {%- set defined = kpi_definitions() | map(attribute='kpi') | list -%}
    {%- for name in names if name not in defined -%}
        {{ exceptions.raise_compiler_error("'" ~ name ~ "' is not a KPI of kpi_definitions()") }}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}
