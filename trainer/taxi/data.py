"""The taxi example's data: the Chicago taxi sample inside the tfx wheel."""

import importlib.util
import shutil
from pathlib import Path


def write_csv(path: Path) -> Path:
    """Copies the sample (about 15,000 trips) to `path`."""
    tfx_dir = Path(list(importlib.util.find_spec("tfx").submodule_search_locations)[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tfx_dir / "examples" / "chicago_taxi_pipeline" / "data" / "simple" / "data.csv", path)
    return path
