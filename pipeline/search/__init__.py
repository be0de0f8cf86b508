"""Nearest examples in the served vector index: by example key, or by an
ad-hoc row embedded with the served model."""
