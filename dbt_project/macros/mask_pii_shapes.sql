{#- Free text (a name, a role, a region) with anything shaped like an email address or a phone
    number replaced by <email> / <phone>: a CRM user who typed a phone number into a name field
    must not publish it to BI. Staging applies it to every free-text column that reaches the
    marts; PII columns proper are hashed (hash_pii). The shapes are the ones quarantine reasons
    mask (pipelines/extract/validation.py EMAIL_SHAPE, PHONE_SHAPE; a test keeps them equal),
    read alike by DuckDB (RE2) and PostgreSQL (ARE). -#}
{% macro mask_pii_shapes(expression) -%}
    regexp_replace(
        regexp_replace({{ expression }}, '[^\s@,;]+@[^\s@,;]+', '<email>', 'g'),
        '\+\d[\d ().-]{6,}\d|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}', '<phone>', 'g'
    )
{%- endmacro %}
