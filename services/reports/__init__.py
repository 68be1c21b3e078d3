"""Batch reports as plain data: build (``build``), render to HTML (``html``) and store (``store``).

Nothing here knows receipts or pipelines; ``featureguard.ingest.report`` hands over what to report.
"""
