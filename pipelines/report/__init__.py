"""The HTML scorecard report of a period: gathered from the published snapshot, rendered offline."""
