"""Contract-gated ingestion: read a batch, have ``featureguard.gate`` check it, store good rows, quarantine the rest."""
