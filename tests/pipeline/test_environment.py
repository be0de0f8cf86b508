"""No library module changes the process when imported; entry points prepare it."""

import os
import subprocess
import sys
import textwrap

from tests.conftest import REPO

# Heavy third-party packages first, so that only Tollgate's modules are compared.
_IMPORT_ALL = textwrap.dedent("""
    import json, os, pkgutil, importlib
    import tensorflow, tfx.v1, apache_beam, tensorflow_model_analysis, pymilvus, kfp
    before = dict(os.environ)
    modules = []
    for package in ("pipeline", "components", "trainer", "kubeflow"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
                modules.append(info.name)
    changed = {k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)}
    print(json.dumps({"modules": modules, "changed": sorted(changed)}))
""")


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("TF_")}


def test_importing_any_library_module_sets_no_environment_variable():
    import json

    result = subprocess.run([sys.executable, "-c", _IMPORT_ALL], cwd=REPO, env=_clean_env(),
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"trainer.taxi.model", "pipeline.local.runner", "pipeline.search.query"} <= set(found["modules"])
    assert found["changed"] == []


_USER_MODULE = "import tensorflow as tf\nKERAS = tf.keras.__name__\n"
_AFTER_ENTRY = textwrap.dedent("""
    import sys
    {entry}
    sys.path.insert(0, sys.argv[1])
    import user_module
    print(user_module.KERAS)
""")


def _keras_seen(tmp_path, entry: str) -> str:
    (tmp_path / "user_module.py").write_text(_USER_MODULE)
    result = subprocess.run(
        [sys.executable, "-c", _AFTER_ENTRY.format(entry=entry), str(tmp_path)], cwd=REPO,
        env={**_clean_env(), "TOLLGATE_HOME": str(tmp_path / "home")}, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_a_user_module_that_says_tf_keras_gets_keras_2_after_the_cli_starts(tmp_path):
    after_cli = _keras_seen(tmp_path, "from pipeline.cli.main import main; main(['runs'])")
    assert after_cli.startswith("tf_keras")
    # Without the entry point, TensorFlow 2.16 hands the same module Keras 3.
    assert not _keras_seen(tmp_path, "pass").startswith("tf_keras")


def test_this_test_session_was_prepared_as_an_entry_point():
    assert os.environ["TF_USE_LEGACY_KERAS"] == "1"
