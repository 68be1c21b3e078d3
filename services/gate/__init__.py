"""The contract gate: pure validation of a frame against its contract, no file or network I/O.

Ingestion (read, store, receipt) and materialization both call it; it depends only on
``featureguard.contracts``, so either side can change without touching the other.
"""
