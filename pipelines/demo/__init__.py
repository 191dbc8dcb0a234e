"""Deterministic demo data: a small business simulated month by month into the landing area."""
