"""The Feast repository: entities, sources, feature views and services built from featureguard.contracts."""
