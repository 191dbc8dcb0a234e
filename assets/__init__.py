"""Dagster asset definitions: extraction per source table, dbt models, the scored snapshot."""
