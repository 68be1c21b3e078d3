"""How data moves: ingestion, storage adapters, Feast plug-ins, serving and the CLI."""
