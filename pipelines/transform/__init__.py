"""The transform layer run from Python: dbt in this process."""
