"""Contract-gated ingestion: read a batch, check every row, store good rows, quarantine the rest."""
