"""Subscribers: input validation, CSV import, and every status change (lifecycle)."""
