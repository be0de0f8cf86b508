"""The user module named by `[model] module`, checked and handed to TFX.

TFX's contract for user code is a module holding `preprocessing_fn` for
Transform and `run_fn` for the Trainer. The module is imported here, when
the pipeline is defined, so that a typo or a missing function is one line
before any step runs rather than a traceback inside Transform.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from pipeline.config import ModelConfig
from pipeline.errors import TollgateError

FUNCTIONS = {"preprocessing_fn": "Transform", "run_fn": "the Trainer"}
# A module whose run_fn applies the transform graph to raw examples itself
# sets this True: Transform then writes no transformed copy of the data (a
# Beam pass that costs more than it saves on small data). A stock module
# reads Transform's transformed_examples, as TFX's own examples do.
APPLIES_TRANSFORM = "APPLIES_TRANSFORM"
_FIX = "fix the module, or set [model] module to one that defines preprocessing_fn and run_fn"


@dataclasses.dataclass(frozen=True)
class UserModule:
    name: str  # as configured
    file: str  # the .py file, for TFX's module_file; empty for a module path
    code_version: str
    materialize: bool  # Transform writes transformed_examples for the Trainer

    def transform_args(self) -> dict:
        """Transform's own parameters for this module."""
        return {"module_file": self.file} if self.file else {"preprocessing_fn": f"{self.name}.preprocessing_fn"}

    def trainer_args(self) -> dict:
        return {"module_file": self.file} if self.file else {"run_fn": f"{self.name}.run_fn"}


def _import(model: ModelConfig) -> ModuleType:
    name = model.module
    try:
        if not model.is_file:
            return importlib.import_module(name)
        path = Path(name).resolve()
        if not path.is_file():
            raise TollgateError(f"[model] module {name} does not exist; give a .py file or a module path")
        spec = importlib.util.spec_from_file_location(f"_tollgate_user_module_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        # Its sibling files are importable by name, as in TFX's module wheel.
        sys.path.insert(0, str(path.parent))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.parent))
        return module
    except TollgateError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure to import is the user's to fix
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise TollgateError(f"[model] module {name} cannot be imported ({type(error).__name__}: {first}); "
                            f"{_FIX}") from None


def source_files(model: ModelConfig, module: ModuleType) -> tuple[Path, list[Path]]:
    """What the version covers, and the folder their names are taken from: a
    file and the .py files beside it (what TFX packages with a module_file),
    or the whole top-level package of a module path, since a module may
    import anything in its package."""
    name = model.module
    if model.is_file:
        folder = Path(name).resolve().parent
        return folder, sorted(folder.glob("*.py"))
    top = sys.modules[name.split(".")[0]]
    if not getattr(top, "__path__", None):
        return Path(module.__file__).parent, [Path(module.__file__)]
    folder = Path(list(top.__path__)[0])
    return folder.parent, sorted(folder.rglob("*.py"))


def code_version(files: list[Path], root: Path) -> str:
    """A hash of the module's source files.

    Transform and Trainer name their code by import path, which TFX's cache
    cannot see into; passing this hash as a parameter makes a code change
    re-run them, and records in MLMD exactly which code made each model.
    """
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return "sha256:" + digest.hexdigest()[:16]


def load_user_module(model: ModelConfig) -> UserModule:
    """The configured module, imported and checked; TollgateError if it can't serve."""
    module = _import(model)
    for function, step in FUNCTIONS.items():
        if not callable(getattr(module, function, None)):
            raise TollgateError(f"[model] module {model.module} has no function {function}, which {step} calls; "
                                f"{_FIX}")
    root, files = source_files(model, module)
    return UserModule(
        name=model.module,
        file=str(Path(model.module).resolve()) if model.is_file else "",
        code_version=code_version(files, root),
        materialize=getattr(module, APPLIES_TRANSFORM, False) is not True,
    )
