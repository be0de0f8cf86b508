"""Tollgate: a gated TFX pipeline with its lineage in ML Metadata."""
