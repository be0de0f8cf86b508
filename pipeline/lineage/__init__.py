"""The metadata store and what it answers: runs, a model's lineage, audits,
and the sign-off records that commands read and write. Never TensorFlow."""
