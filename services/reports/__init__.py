"""Batch reports: what each validation/ingest checked and found, as JSON and as an HTML page."""
