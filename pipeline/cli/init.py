"""`tollgate init DIR [--example NAME]`: a project that runs as it is.

Like `tfx template copy` or `kedro new`: the example's user module, a small
test of it, its data, a config naming them, and a README saying what to
change. The module goes as a .py file, so the project is the team's to edit:
its own package imports (`from trainer.taxi import features`) become sibling
imports (`import features`), which is how TFX packages a module file.
"""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

from pipeline.config import EXAMPLE_CONFIG
from pipeline.config_file import example_config_path
from pipeline.errors import TollgateError

EXAMPLES = ("taxi", "digits")
# Copied beside the module; data.py and __init__.py stay behind (they belong
# to the example's package, not to the project).
_LEFT_BEHIND = {"__init__.py", "data.py"}

README = """# {name}: a Tollgate project

Made by `tollgate init --example {example}`. Everything here is yours to change.

- `model.py`: the TFX user module. `preprocessing_fn` is what Transform runs,
  `run_fn` is what the Trainer runs; the other `.py` files beside it are
  packaged with it.
- `test_model.py`: a small test of the module. Run `pytest {folder}`.
- `data/{data}`: the data. Point `data_root` in `tollgate.toml` at your own CSV.
- `tollgate.toml`: the config. `[model]` names the module, the label and the
  signatures; `[[evaluator.metrics]]` what blesses a model (by default
  `[model] problem`'s metric).

## Run it

```
tollgate run --config {folder}/tollgate.toml
tollgate approve MODEL --config {folder}/tollgate.toml
tollgate release MODEL --config {folder}/tollgate.toml
```

The config names the module and the data by absolute path, so it runs from
any folder; after moving the project, change `module` and `data_root`.
"""


def _sibling_imports(source: str, example: str) -> str:
    package = f"trainer.{example}"
    source = re.sub(rf"^from {re.escape(package)} import (\w+)$", r"import \1", source, flags=re.M)
    return re.sub(rf"^from {re.escape(package)}\.(\w+) import", r"from \1 import", source, flags=re.M)


def _config(example: str, package: Path, module: Path, data: Path) -> str:
    text = (package / EXAMPLE_CONFIG).read_text()
    text = re.sub(r'^module = ".*"$', f'module = "{module}"', text, count=1, flags=re.M)
    body = text.split("\n\n", 1)[1]  # the example's own opening comment is about the example
    # Its own pipeline name: its own releases, vector index and run history,
    # apart from the taxi example's in the same home.
    name = re.sub(r"[^A-Za-z0-9_-]", "-", module.parent.name)
    return (f"# Made by `tollgate init --example {example}`; see README.md beside it, and the\n"
            f"# Configuration section of Tollgate's README for every key.\n\n"
            f"pipeline_name = \"{name}\"\ndata_root = \"{data}\"\n\n{body}")


def init_project(folder: Path, example: str) -> Path:
    """Writes the project; refuses a folder that already has files in it."""
    if example not in EXAMPLES:
        raise TollgateError(f"unknown example {example!r}; choose from {', '.join(EXAMPLES)}")
    if folder.exists() and any(folder.iterdir()):
        raise TollgateError(f"{folder} is not empty; name a new folder, so nothing of yours is overwritten")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    package = example_config_path(f"trainer.{example}.model").parent
    # init/ holds what only a project has (the module's test), outside the
    # package so that it is never imported as part of it.
    for source in sorted([*package.glob("*.py"), *(package / "init").glob("*.py")]):
        if source.name not in _LEFT_BEHIND:
            (folder / source.name).write_text(_sibling_imports(source.read_text(), example))
    data = importlib.import_module(f"trainer.{example}.data").write_csv(folder / "data" / f"{example}.csv")
    config = folder / "tollgate.toml"
    config.write_text(_config(example, package, folder / "model.py", data))
    (folder / "README.md").write_text(README.format(name=folder.name, example=example, folder=folder,
                                                    data=data.name))
    return config


def cmd_init(args: argparse.Namespace) -> int:
    config = init_project(Path(args.folder), args.example)
    print(f"tollgate: made {config.parent} from the {args.example} example; run it with\n"
          f"  tollgate run --config {config}")
    return 0


def register(sub, add) -> None:
    command = sub.add_parser("init", help="make a project from a built-in example, ready to run")
    command.add_argument("folder", help="a new (or empty) folder")
    command.add_argument("--example", choices=EXAMPLES, default="taxi",
                         help="which example to start from (default: taxi)")
    command.set_defaults(handler=cmd_init)
