"""The user module behind `[model] module`: how TFX is handed it, what its
code version covers, and the one line a module that can't serve gets."""

import dataclasses
import json

import pytest

from pipeline.config_file import load_config
from pipeline.definition.pipeline import create_pipeline
from pipeline.definition.user_module import load_user_module
from pipeline.errors import TollgateError

MODULE = '''
import helper

def preprocessing_fn(inputs):
    return inputs

def run_fn(fn_args):
    return helper.NAME
'''


@pytest.fixture
def module_file(tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "helper.py").write_text("NAME = 'helper'\n")
    (folder / "churn.py").write_text(MODULE)
    return folder / "churn.py"


def nodes(tmp_path, **overrides) -> dict:
    config = load_config(None, home=str(tmp_path / "home"), **overrides)
    return {c.id: c for c in create_pipeline(config).components}


def test_the_taxi_module_is_named_by_path_and_reads_raw_examples(tmp_path):
    by_id = nodes(tmp_path)
    version = load_user_module(load_config(None).model).code_version
    assert by_id["Transform"].exec_properties["preprocessing_fn"] == "trainer.taxi.model.preprocessing_fn"
    assert by_id["Trainer"].exec_properties["run_fn"] == "trainer.taxi.model.run_fn"
    for node in ("Transform", "Trainer"):
        assert json.loads(by_id[node].exec_properties["custom_config"])["code_version"] == version
    # Its run_fn applies the graph itself: no transformed copy is written.
    assert "transformed_examples" not in by_id["Transform"].outputs
    assert by_id["Trainer"].inputs["examples"].producer_component_id == "CsvExampleGen"


def test_a_module_file_goes_to_tfx_as_module_file_and_its_trainer_reads_transformed_examples(tmp_path, module_file):
    by_id = nodes(tmp_path, model__module=str(module_file), model__label_key="churned", model__problem="binary",
                   data_root="churn.csv")
    for node in ("Transform", "Trainer"):
        assert by_id[node].exec_properties["module_file"] == str(module_file)
    assert by_id["Trainer"].inputs["examples"].producer_component_id == "Transform"
    assert by_id["Trainer"].inputs["examples"].output_key == "transformed_examples"


def test_the_code_version_covers_the_module_and_the_files_beside_it(module_file):
    model = dataclasses.replace(load_config(None).model, module=str(module_file))
    first = load_user_module(model).code_version
    assert load_user_module(model).code_version == first
    (module_file.parent / "notes.txt").write_text("not code")
    assert load_user_module(model).code_version == first
    (module_file.parent / "helper.py").write_text("NAME = 'changed'\n")
    second = load_user_module(model).code_version
    assert second != first
    module_file.write_text(MODULE + "\n# changed\n")
    assert load_user_module(model).code_version not in (first, second)


def test_the_taxi_code_version_covers_the_whole_trainer_package(tmp_path, monkeypatch):
    import shutil
    import sys
    from pathlib import Path

    import trainer

    copy = tmp_path / "trainer"
    shutil.copytree(Path(trainer.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    model = load_config(None).model
    version = load_user_module(model).code_version
    for name in [m for m in sys.modules if m == "trainer" or m.startswith("trainer.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_user_module(model).code_version == version
    (copy / "warm_start.py").write_text((copy / "warm_start.py").read_text() + "\n# changed\n")
    assert load_user_module(model).code_version != version


@pytest.mark.parametrize("text, words", [
    ("import no_such_package\n", ("cannot be imported", "ModuleNotFoundError", "no_such_package")),
    ("def preprocessing_fn(:\n", ("cannot be imported", "SyntaxError")),
    ("raise RuntimeError('needs a GPU')\n", ("cannot be imported", "RuntimeError: needs a GPU")),
    ("def run_fn(fn_args):\n    pass\n", ("has no function preprocessing_fn", "which Transform calls")),
    ("def preprocessing_fn(inputs):\n    pass\n", ("has no function run_fn", "which the Trainer calls")),
    ("def preprocessing_fn(inputs):\n    pass\nrun_fn = 3\n", ("has no function run_fn",)),
])
def test_a_module_that_cannot_serve_gets_one_line(tmp_path, text, words):
    path = tmp_path / "bad_module.py"
    path.write_text(text)
    model = dataclasses.replace(load_config(None).model, module=str(path))
    with pytest.raises(TollgateError) as error:
        load_user_module(model)
    message = str(error.value)
    assert "\n" not in message and str(path) in message, message
    assert all(word in message for word in words), message
    assert "set [model] module" in message
