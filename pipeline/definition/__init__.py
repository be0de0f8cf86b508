"""The one pipeline definition: `create_pipeline(config, backend)`, the
evaluation config, and the backend interface that runners plug in over."""
