import pytest

from tests.components.batch_evaluator.data import echo_model


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict:
    """Echo models: the candidate predicts the `prediction` feature, the baseline `baseline`."""
    folder = tmp_path_factory.mktemp("models")
    return {name: echo_model(folder / name, column) for name, column in
            (("candidate", "prediction"), ("baseline", "baseline"))}
