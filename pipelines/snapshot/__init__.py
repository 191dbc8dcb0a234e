"""Scored period snapshots: read the marts, score them, publish immutable versioned snapshots."""
