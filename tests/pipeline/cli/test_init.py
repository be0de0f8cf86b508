"""`tollgate init`: a project from each built-in example, whose module loads
from its own folder and whose own test passes there."""

import subprocess
import sys

import pytest

from pipeline.cli.init import EXAMPLES, init_project
from pipeline.cli.main import main
from pipeline.config_file import load_config
from pipeline.definition.user_module import load_user_module
from pipeline.errors import TollgateError


@pytest.mark.parametrize("example", EXAMPLES)
def test_a_project_names_its_own_module_and_data_and_its_test_passes(tmp_path, example):
    folder = tmp_path / example
    config = load_config(init_project(folder, example))
    assert config.model.module == str(folder / "model.py") and config.pipeline_name == example
    assert config.data_dir == folder / "data" / f"{example}.csv" and config.data_dir.stat().st_size > 100_000
    module = load_user_module(config.model)
    assert module.file == str(folder / "model.py")
    # The example's package imports became sibling imports: the project
    # runs its own copy, not the installed example.
    sources = "".join(p.read_text() for p in folder.glob("*.py"))
    assert f"trainer.{example}" not in sources
    assert (folder / "README.md").read_text().count(f"--config {folder}/tollgate.toml") == 3
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                            cwd=folder, capture_output=True, text=True, timeout=240)
    assert tested.returncode == 0 and " passed" in tested.stdout, tested.stdout[-2000:]


def test_the_project_follows_an_edit_to_its_own_sibling_module(tmp_path):
    folder = tmp_path / "taxi"
    config = load_config(init_project(folder, "taxi"))
    before = load_user_module(config.model).code_version
    (folder / "features.py").write_text((folder / "features.py").read_text() + "\nBIG_TIP_SHARE = 0.25\n")
    assert load_user_module(config.model).code_version != before


def test_a_folder_with_files_in_it_is_refused_and_left_alone(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["init", str(tmp_path), "--example", "digits"]) == 2
    assert "is not empty; name a new folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    with pytest.raises(TollgateError, match="unknown example 'mnist'; choose from taxi, digits"):
        init_project(tmp_path / "new", "mnist")
