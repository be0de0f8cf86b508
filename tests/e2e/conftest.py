"""One real pipeline run shared by the e2e modules that only read it."""

import pytest

from components.signoff import records
from pipeline.config import load_config
from pipeline.local_runner import run_pipeline
from pipeline.metadata import store_for
from pipeline.signoff_commands import release
from tests.conftest import copy_taxi


@pytest.fixture(scope="session")
def first_run(tmp_path_factory):
    """Run, approve as 'auditor', release: (config, release summary, store)."""
    root = tmp_path_factory.mktemp("e2e")
    data = copy_taxi(root)
    config = load_config(None, home=str(root / "home"), data_root=str(data), trainer__train_steps=200)
    awaiting = run_pipeline(config)
    assert awaiting.run.status == "awaiting sign-off" and awaiting.run.pushed is None
    store = store_for(config)
    [request] = records.pending_requests(store)
    policy = records.Policy(approvers=(), allow_self_approval=False)
    records.record_decision(store, request, records.APPROVE, "auditor", "", policy)
    return config, release(config, awaiting.run.model_id), store
