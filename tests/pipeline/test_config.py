import dataclasses
from pathlib import Path

import pytest

from pipeline.config import TAXI_MODULE, MetricConfig, TollgateConfig
from pipeline.config_file import _build, example_config_path, load_config
from pipeline.errors import TollgateError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tollgate.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file_run_the_taxi_example(monkeypatch, tmp_path):
    import tomllib

    monkeypatch.delenv("TOLLGATE_CONFIG", raising=False)
    monkeypatch.setenv("TOLLGATE_HOME", str(tmp_path))
    config = load_config()
    example = tomllib.loads(example_config_path().read_text())
    assert config == _build(TollgateConfig(), example, "", "example")
    assert config.model.module == TAXI_MODULE and config.data.time_column == "trip_start_timestamp"
    assert config.trainer == TollgateConfig().trainer
    assert config.home_dir == tmp_path.resolve()
    assert config.sqlite_path == tmp_path.resolve() / "metadata.sqlite"
    assert config.data_dir.name == "simple" and (config.data_dir / "data.csv").exists()


def test_file_values_then_overrides_win(tmp_path):
    path = write(
        tmp_path,
        'pipeline_name = "taxi"\n[trainer]\ntrain_steps = 300\nhidden_units = [16, 8]\n'
        '[[evaluator.metrics]]\nname = "auc"\nthreshold = 0.8\n',
    )
    config = load_config(path, trainer__train_steps=42, data_root="/data")
    assert config.pipeline_name == "taxi"
    assert config.trainer.train_steps == 42
    assert config.trainer.hidden_units == (16, 8)
    assert config.metrics == (MetricConfig("auc", 0.8, None),)
    assert config.data_root == "/data"


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TollgateConfig().pipeline_name = "other"


def test_home_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TOLLGATE_HOME", str(tmp_path / "state"))
    config = TollgateConfig()
    assert config.pipeline_root == (tmp_path / "state" / "pipelines" / "tollgate").resolve()
    assert config.serving_dir == (tmp_path / "state" / "serving" / "tollgate").resolve()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[trainer]\ntrian_steps = 5\n", "unknown config key 'trainer.trian_steps'"),
        ("colour = 'red'\n", "unknown config key 'colour'"),
        ("[trainer]\ntrain_steps = 'many'\n", "'trainer.train_steps' in"),
        ("[trainer]\ntrain_steps = 0\n", "trainer.train_steps must be positive"),
        ("[metadata]\nbackend = 'oracle'\n", "metadata.backend must be"),
        ("trainer = 3\n", "must be a table"),
        ("[trainer\n", "is not valid TOML"),
        ("[ui]\nhost = '0.0.0.0'\n", "ui.host 0.0.0.0 is reachable from other machines: set ui.tls_cert"),
        ("[ui]\ntls_cert = 'c.pem'\n", "ui.tls_cert and ui.tls_key go together"),
        ("[ui]\nbase_url = 'desk.example.com'\n", "ui.base_url must start with http:// or https://"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path, text, message):
    with pytest.raises(TollgateError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_config(write(tmp_path, text))


def test_missing_config_file(tmp_path):
    with pytest.raises(TollgateError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_mysql_password_never_in_config(monkeypatch, tmp_path):
    from pipeline.lineage.store import connection_config, metadata_spec

    monkeypatch.setenv("TOLLGATE_MYSQL_PASSWORD", "s3cret")
    config = load_config(write(tmp_path, "[metadata]\nbackend = 'mysql'\nhost = 'db'\nport = 3307\n"))
    assert "s3cret" not in repr(config)
    assert "s3cret" not in repr(metadata_spec(config))
    connection = connection_config(config)
    assert (connection.mysql.host, connection.mysql.port) == ("db", 3307)
    assert connection.mysql.password == "s3cret"


def test_one_store_type_for_here_and_for_the_cluster(tmp_path):
    from pipeline.lineage.store import metadata_spec

    assert load_config(None).kubeflow.metadata.backend == "mysql"  # Tollgate's own store, not KFP's MLMD
    config = load_config(write(tmp_path, "[kubeflow.metadata]\nbackend = 'grpc'\nhost = 'mlmd.team'\nport = 9090\n"))
    assert type(config.kubeflow.metadata) is type(config.metadata)
    assert (config.kubeflow.metadata.backend, config.kubeflow.metadata.host) == ("grpc", "mlmd.team")
    assert metadata_spec(config) == {"backend": "sqlite", "path": str(config.sqlite_path)}
    with pytest.raises(TollgateError, match="kubeflow.metadata.backend must be"):
        load_config(None, kubeflow__metadata__backend="oracle")


def test_readme_lists_every_key_with_its_default(tmp_path):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("## Configuration", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    import tomllib

    assert _build(TollgateConfig(), tomllib.loads(block), "", "README") == TollgateConfig()


def test_a_named_module_takes_none_of_the_taxi_examples_values(tmp_path):
    config = load_config(write(tmp_path, '[model]\nmodule = "churn.py"\nlabel_key = "churned"\nproblem = "binary"\n'),
                         data_root="d.csv")
    assert (config.model.module, config.model.label_key) == ("churn.py", "churned")
    assert config.model.preprocessing_function_names == () and config.model.embedding_signature == ""
    assert config.evaluator.slice_features == () and config.validation.drift_features == ()
    assert config.embeddings.columns == () and config.data.time_column == ""
    # Keys the example leaves alone, and the file's own, are as ever.
    assert config.trainer == TollgateConfig().trainer


@pytest.mark.parametrize("text, words", [
    ('[model]\nmodule = "churn.py"\n', "model.label_key must name the label"),
    ('[model]\nmodule = "churn.py"\nlabel_key = "churned"\n', "model.problem must be one of binary, multiclass"),
])
def test_a_named_module_needs_its_label_and_its_problem(tmp_path, text, words):
    with pytest.raises(TollgateError, match=words):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize("problem, metric", [("binary", "auc"), ("multiclass", "accuracy"), ("regression", "rmse")])
def test_the_problem_picks_the_default_metric(tmp_path, problem, metric):
    text = f'[model]\nmodule = "m.py"\nlabel_key = "y"\nproblem = "{problem}"\n'
    assert load_config(write(tmp_path, text), data_root="d.csv").metrics[0].name == metric


def test_configured_metrics_replace_the_problems(tmp_path):
    text = ('[model]\nproblem = "binary"\n[[evaluator.metrics]]\nname = "binary_accuracy"\nthreshold = 0.6\n'
            '[[evaluator.metrics]]\nname = "auc"\nmax_change = 0.02\n')
    config = load_config(write(tmp_path, text))
    assert config.metrics == (MetricConfig("binary_accuracy", 0.6, None), MetricConfig("auc", None, 0.02))


@pytest.mark.parametrize("text, words", [
    ('[[evaluator.metrics]]\nname = "f1"\n', "unknown metric 'f1'; choose from auc, binary_accuracy"),
    ('[[evaluator.metrics]]\nname = "auc"\nmax_change = -0.1\n', "max_change of auc may not be negative"),
    ('[[evaluator.metrics]]\nname = "auc"\nthreshold = "high"\n', "'evaluator.metrics.threshold' .* must be float"),
    ('[evaluator]\nmetrics = ["auc"]\n', "must be a list of tables, \\[\\[evaluator.metrics\\]\\]"),
])
def test_a_bad_metric_is_one_line(tmp_path, text, words):
    with pytest.raises(TollgateError, match=words):
        load_config(write(tmp_path, text))


def test_a_named_module_needs_its_data_only_where_data_is_read(tmp_path):
    config = load_config(write(tmp_path, '[model]\nmodule = "churn.py"\nlabel_key = "churned"\nproblem = "binary"\n'))
    with pytest.raises(TollgateError, match="data_root must name your module's CSV"):
        config.data_dir
    assert load_config(None).data_dir.name == "simple"  # the taxi example's own sample


@pytest.mark.parametrize("extra,runner,local", [
    ((), "DirectRunner", True),
    (("--runner=DirectRunner",), "DirectRunner", True),
    (("--runner=direct",), "direct", True),
    (("--runner=apache_beam.runners.direct.direct_runner.DirectRunner",),
     "apache_beam.runners.direct.direct_runner.DirectRunner", True),
    (("--worker_harness_container_image=ghcr.io/team/tollgate:1.0.0",), "DirectRunner", False),
    (("--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"), "PortableRunner", False),
    (("--runner", "DataflowRunner", "--project=p", "--region=europe-west1"), "DataflowRunner", False),
    (("--sdk_container_image=ghcr.io/team/tollgate:1.0.0",), "DirectRunner", False),
])
def test_only_the_in_memory_direct_runner_is_told_its_workers_are_this_process(extra, runner, local):
    config = load_config(None, beam__extra_args=list(extra))
    assert config.beam_runner == runner
    assert ("--sdk_container_image=local-process" in config.beam_args) is local
    assert config.beam_args[2:2 + len(extra)] == list(extra)  # the user's flags reach Beam as written


def test_auto_picks_beam_mode_by_input_size():
    beam = load_config(None).beam
    assert beam.direct_running_mode == "auto"
    assert beam.mode_for(None) == ("in_memory", 1)  # unknown size (a compiled Kubeflow pipeline)
    assert beam.mode_for((beam.multi_processing_mb << 20) - 1) == ("in_memory", 1)
    assert beam.mode_for(beam.multi_processing_mb << 20) == ("multi_processing", 0)  # Beam: one per core
    named = load_config(None, beam__direct_running_mode="multi_threading", beam__direct_num_workers=3).beam
    assert named.mode_for(10 << 30) == named.mode_for(None) == ("multi_threading", 3)


@pytest.mark.parametrize("text", ['[beam]\ndirect_running_mode = "fast"\n', '[beam]\nmulti_processing_mb = -1\n'])
def test_a_bad_beam_mode_is_one_line(tmp_path, text):
    with pytest.raises(TollgateError, match="beam.direct_running_mode must be one of auto|may not be negative"):
        load_config(write(tmp_path, text))
