"""The featureguard HTTP service: online features, gated ingestion and push, contracts, operations."""
