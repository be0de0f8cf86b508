import pytest

from tests.kubeflow.golden import compile_golden, load, readable


@pytest.fixture(scope="session")
def golden_spec_path(tmp_path_factory):
    """The pipeline compiled from golden.toml, once per session (TFX import is slow)."""
    return compile_golden(str(tmp_path_factory.mktemp("compiled")))


@pytest.fixture(scope="session")
def golden_spec(golden_spec_path):
    """(pipeline spec with each task's IR slice decoded, platform spec)."""
    pipeline, platform = load(golden_spec_path)
    return readable(pipeline), platform
