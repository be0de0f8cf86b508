"""The `tollgate` command: the parser, the rendering of results, and one
module per command group. `python -m pipeline.cli` runs it too."""
