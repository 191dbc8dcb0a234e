"""Values as people read them, shared by the terminal (display.py) and the HTML report."""

from __future__ import annotations

import math


def readable_number(value: object, digits: int = 1) -> str:
    """A value as people read it; '-' for none (never 'None', 'nan' or '<NA>')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)
