import pytest

from tests.kubeflow.golden import compile_golden


@pytest.fixture(scope="session")
def golden_job(tmp_path_factory):
    """The pipeline compiled from golden.toml, once per session (TFX import is slow)."""
    return compile_golden(str(tmp_path_factory.mktemp("compiled")))
