"""Batch transformations that derive sources from other data; their output is contract-checked too."""
