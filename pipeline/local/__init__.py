"""Running the pipeline on this machine: LocalDagRunner with in-process Beam,
per-step progress, and `release`, which replays an approved model's run."""
