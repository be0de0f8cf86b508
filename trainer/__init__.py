"""Tollgate's model code: the Transform preprocessing_fn and the Keras trainer."""
