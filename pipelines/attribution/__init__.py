"""Attribution math that runs in Python on warehouse aggregates."""
