"""The data a run reads: CSV checks before anything runs, span folders, and
schema inference for a curated schema. No TensorFlow at import time."""
