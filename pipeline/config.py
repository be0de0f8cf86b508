"""Tollgate's one typed, frozen configuration.

Everything a run needs is here: the local runner, the Kubeflow compiler, the
commands and the tests all take a `TollgateConfig` and nothing else. Values
come from the dataclass defaults, then a TOML file, then CLI flags, in that
order. This module is the bottom layer of `pipeline/`: it imports none of it.
"""

from __future__ import annotations

import dataclasses
import getpass
import importlib.util
import json
import os
import tomllib
import typing
from pathlib import Path
from typing import Any, Mapping

from components.metrics import METRICS
from pipeline.errors import TollgateError

HOME_ENV = "TOLLGATE_HOME"
CONFIG_ENV = "TOLLGATE_CONFIG"
USER_ENV = "TOLLGATE_USER"
DEFAULT_HOME = "~/.tollgate"
# The built-in example's user module, and its config: what a config that
# names no module runs.
TAXI_MODULE = "trainer.taxi.model"
EXAMPLE_CONFIG = "tollgate.toml"
# `span` for "the newest span folder under data_root".
LATEST = -1


def default_data_root() -> str:
    """The Chicago taxi sample that ships inside the tfx wheel."""
    # find_spec does not import tfx, which keeps config loading fast.
    spec = importlib.util.find_spec("tfx")
    if spec is None or not spec.submodule_search_locations:
        raise TollgateError("tfx is not installed; run `make setup` first")
    tfx_dir = Path(list(spec.submodule_search_locations)[0])
    return str(tfx_dir / "examples" / "chicago_taxi_pipeline" / "data" / "simple")


def current_user() -> str:
    """Who is acting: $TOLLGATE_USER (for service accounts), else the login name."""
    return os.environ.get(USER_ENV) or getpass.getuser()


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The user module and how its model is read; the names follow TFX and TFMA.

    A config that names no module runs the taxi example, with the values in
    its own config file (EXAMPLE_CONFIG) under the file's own."""

    # A module path, or a .py file (relative to the working directory), holding
    # TFX's `preprocessing_fn(inputs)` for Transform and `run_fn(fn_args)` for
    # the Trainer. A file goes to TFX as its `module_file`, with the .py files
    # beside it; a module path must be importable where the steps run.
    module: str = ""
    label_key: str = ""  # as TFMA's ModelSpec.label_key
    signature_name: str = "serving_default"  # takes serialized tf.Examples
    # Signatures that compute the label from raw examples, as TFMA's ModelSpec.
    preprocessing_function_names: tuple[str, ...] = ()
    # A signature from serialized tf.Examples to one vector each, for the
    # vector index; [embeddings] encoder, when set, is used instead. Neither:
    # no embeddings, and the run says so.
    embedding_signature: str = ""
    problem: str = ""  # binary, multiclass or regression: picks the default metrics

    @property
    def is_file(self) -> bool:
        """A .py file, handed to TFX as its module_file; else a module path."""
        return self.module.endswith(".py")


@dataclasses.dataclass(frozen=True)
class DataConfig:
    # The column that orders rows in time (Unix seconds), which
    # `tollgate data split-spans` cuts spans by.
    time_column: str = ""


@dataclasses.dataclass(frozen=True)
class TrainerConfig:
    train_steps: int = 1000
    eval_steps: int = 50
    batch_size: int = 128
    hidden_units: tuple[int, ...] = (64, 32)
    learning_rate: float = 0.003
    # Start from the weights of the last released model (the first model, or
    # one whose layers changed shape, starts fresh). Off by default: a run
    # that warm-starts depends on what was released, not only on its data.
    warm_start: bool = False


@dataclasses.dataclass(frozen=True)
class MetricConfig:
    """One metric the Evaluator holds a model to, on the overall slice."""

    name: str = ""  # see components.metrics.METRICS
    # Value threshold: at least this, or at most for a metric where lower is better.
    threshold: float | None = None
    # Change threshold: how far it may get worse than the latest blessed model.
    max_change: float | None = None


# What a problem is held to when [[evaluator.metrics]] names nothing. RMSE
# has no default value threshold: its scale is the label's.
PROBLEMS = {
    "binary": (MetricConfig("auc", 0.7, 0.01),),
    "multiclass": (MetricConfig("accuracy", 0.8, 0.01),),
    "regression": (MetricConfig("rmse", None, None),),
}


@dataclasses.dataclass(frozen=True)
class EvaluatorConfig:
    # [[evaluator.metrics]] tables; the first is the one the worst slice, the
    # pages and the audit rank by. Empty: [model] problem's (PROBLEMS).
    metrics: tuple[MetricConfig, ...] = ()
    slice_features: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ValidationConfig:
    # Empty: SchemaGen infers the schema from each run's own data. A .pbtxt
    # path (relative to the working directory) uses that curated schema
    # instead, e.g. trainer/schemas/taxi.pbtxt, made with `tollgate data infer-schema`.
    schema_file: str = ""
    # Each span is compared with the previous span on these features: strings
    # by L-infinity distance, numbers by Jensen-Shannon divergence. Empty: no
    # drift check. Between consecutive months of the taxi sample (55 to 478
    # rows each) the largest seen were 0.24, 0.20 and 0.19; one payment type
    # injected measures about 0.6 (bench/drift_thresholds.py).
    drift_features: tuple[str, ...] = ()
    max_linf: float = 0.3
    max_jsd: float = 0.25


@dataclasses.dataclass(frozen=True)
class SignOffConfig:
    # 0: record the request and stop; the run ends awaiting sign-off.
    timeout_seconds: int = 0
    poll_seconds: float = 2.0
    # Who may approve; empty means anyone (with a warning).
    approvers: tuple[str, ...] = ()
    # Four eyes: whoever triggered the run may not approve its model.
    allow_self_approval: bool = False
    # "log", or "webhook" (Slack-compatible; the URL comes from the environment).
    notifier: str = "log"


@dataclasses.dataclass(frozen=True)
class MetadataConfig:
    # "sqlite" or "mysql"; "grpc" reaches an MLMD gRPC service, such as a
    # cluster's, for the sign-off commands and components (local runs need a
    # direct connection).
    backend: str = "sqlite"
    sqlite_path: str = ""  # empty: <home>/metadata.sqlite
    # The server, for "mysql" and "grpc".
    host: str = "127.0.0.1"
    port: int = 3306
    # For "mysql"; the password comes from $TOLLGATE_MYSQL_PASSWORD.
    database: str = "tollgate"
    user: str = "tollgate"


@dataclasses.dataclass(frozen=True)
class BeamConfig:
    # In-memory DirectRunner with one worker: on small data, process pools
    # cost more to start than they save.
    direct_running_mode: str = "in_memory"
    direct_num_workers: int = 1
    extra_args: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class EmbeddingsConfig:
    enabled: bool = True
    # Empty: the model's [model] embedding_signature; else "package.module.function"
    # taking a list of serialized tf.Examples and returning one vector each.
    encoder: str = ""
    splits: tuple[str, ...] = ()  # empty: every split
    columns: tuple[str, ...] = ()  # source columns stored beside each vector
    # Empty: Milvus Lite in <home>/milvus/<pipeline_name>.db; or a server,
    # e.g. http://milvus:19530 (its token from $TOLLGATE_MILVUS_TOKEN).
    milvus_uri: str = ""
    alias: str = ""  # empty: <pipeline_name>_serving


@dataclasses.dataclass(frozen=True)
class ServingConfig:
    # Runtimes the model is released in: "saved_model" (always checked),
    # "tflite" and "onnx", each opt-in: not every graph converts (a tft
    # vocabulary's table does not answer in TFLite), and onnxruntime-extensions
    # hashes strings differently from TensorFlow. The taxi example adds TFLite.
    targets: tuple[str, ...] = ("saved_model",)
    # Budgets, each checked against the median of `repeats` measurements;
    # 0 turns the latency and throughput budgets off.
    max_p99_ms: float = 50.0  # latency at batch 1
    min_throughput: float = 100.0  # examples per second, at the best batch
    max_abs_diff: float = 1e-4  # largest prediction difference from the SavedModel
    examples: int = 200  # eval examples compared and timed
    repeats: int = 3
    latency_calls: int = 200  # single-example calls per repeat


@dataclasses.dataclass(frozen=True)
class ResourceConfig:
    """One component's pod on Kubeflow; zeros leave the cluster's defaults."""

    cpu: float = 0.0  # cores (limit)
    memory_gb: float = 0.0  # GB (limit)
    # The Kubernetes resource name: "nvidia.com/gpu", or "google.com/tpu" on GKE.
    accelerator: str = ""
    accelerator_count: int = 0


@dataclasses.dataclass(frozen=True)
class KubeflowConfig:
    # The pipeline image, built by kubeflow/Dockerfile; compile refuses an
    # empty tag or "latest", so every run names exactly what it ran.
    image: str = "ghcr.io/tollgate/tollgate"
    tag: str = ""
    # Where state lives inside the pods: a volume every step mounts.
    home: str = "/mnt/tollgate"
    pipeline_root: str = ""  # empty: <home>/pipelines/<pipeline_name>
    data_root: str = ""  # empty: the taxi sample inside the image
    # The data root holds span-N folders (found by itself when it is a folder here).
    span_folders: bool = False
    host: str = ""  # the KFP API, e.g. http://ml-pipeline-ui.kubeflow:80
    experiment: str = "tollgate"
    # Tollgate's own store, which every task connects to: a MySQL database
    # (in KFP's MySQL server or any other) or an MLMD gRPC service of yours;
    # never KFP's own MLMD, which KFP is removing.
    metadata: MetadataConfig = MetadataConfig(backend="mysql", host="mysql.kubeflow")
    # The Kubernetes secret whose key `password` holds the MySQL password; the
    # tasks read it as $TOLLGATE_MYSQL_PASSWORD.
    password_secret: str = "tollgate-mysql"
    trainer: ResourceConfig = ResourceConfig(cpu=4.0, memory_gb=16.0)
    transform: ResourceConfig = ResourceConfig()
    evaluator: ResourceConfig = ResourceConfig()
    embedding_exporter: ResourceConfig = ResourceConfig()


@dataclasses.dataclass(frozen=True)
class TollgateConfig:
    pipeline_name: str = "tollgate"
    data_root: str = ""  # empty: the taxi sample in the tfx wheel
    # With span-N folders under data_root: which span to read; -1 the newest.
    span: int = LATEST
    home: str = ""  # empty: $TOLLGATE_HOME, else ~/.tollgate
    enable_cache: bool = True
    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    trainer: TrainerConfig = TrainerConfig()
    evaluator: EvaluatorConfig = EvaluatorConfig()
    validation: ValidationConfig = ValidationConfig()
    signoff: SignOffConfig = SignOffConfig()
    metadata: MetadataConfig = MetadataConfig()
    beam: BeamConfig = BeamConfig()
    embeddings: EmbeddingsConfig = EmbeddingsConfig()
    serving: ServingConfig = ServingConfig()
    kubeflow: KubeflowConfig = KubeflowConfig()
    # Where the pipeline was built to run: "local" or "kubeflow". Set by the
    # backend, not by hand, and recorded with each sign-off request.
    runner: str = "local"

    @property
    def home_dir(self) -> Path:
        raw = self.home or os.environ.get(HOME_ENV) or DEFAULT_HOME
        return Path(raw).expanduser().resolve()

    @property
    def data_dir(self) -> Path:
        # Asked here, not when the config loads: sign-off, lineage and search
        # need no data.
        if not self.data_root and self.model.module != TAXI_MODULE:
            raise TollgateError("data_root must name your module's CSV (or pass --data); "
                                "the default data is the taxi example's")
        return Path(self.data_root or default_data_root()).expanduser().resolve()

    @property
    def schema_path(self) -> Path | None:
        return Path(self.validation.schema_file).resolve() if self.validation.schema_file else None

    @property
    def pipeline_root(self) -> Path:
        return self.home_dir / "pipelines" / self.pipeline_name

    @property
    def serving_dir(self) -> Path:
        return self.home_dir / "serving" / self.pipeline_name

    @property
    def makes_embeddings(self) -> bool:
        return self.embeddings.enabled and not self.no_encoder

    @property
    def metrics(self) -> tuple[MetricConfig, ...]:
        """What blesses a model: the configured metrics, else the problem's."""
        return self.evaluator.metrics or PROBLEMS.get(self.model.problem, ())

    @property
    def no_encoder(self) -> bool:
        """Embeddings are on, but nothing can make them: the run says so and
        makes none, and every other step runs."""
        return self.embeddings.enabled and not (self.embeddings.encoder or self.model.embedding_signature)

    @property
    def milvus_uri(self) -> str:
        return self.embeddings.milvus_uri or str(self.home_dir / "milvus" / f"{self.pipeline_name}.db")

    @property
    def vector_alias(self) -> str:
        # Milvus names take letters, digits and underscores only.
        return self.embeddings.alias or f"{self.pipeline_name.replace('-', '_')}_serving"

    @property
    def logs_dir(self) -> Path:
        return self.home_dir / "logs"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.metadata.sqlite_path or self.home_dir / "metadata.sqlite")

    @property
    def beam_args(self) -> list[str]:
        args = [
            f"--direct_running_mode={self.beam.direct_running_mode}",
            f"--direct_num_workers={self.beam.direct_num_workers}",
            *self.beam.extra_args,
        ]
        if self.beam.direct_running_mode == "in_memory":
            # Without a dependency flag, TFX builds a tfx sdist for every Beam
            # step (about 1.5 s each) to ship to remote workers. In-memory
            # Beam runs in this process and ships nothing; naming the image
            # the workers already run in tells TFX so.
            args.append("--sdk_container_image=local-process")
        return args


def _coerce(value: Any, default: Any, key: str, source: str) -> Any:
    """Checks a TOML value against the default's type; tuples from lists."""
    if default is None:  # an optional number
        default = 0.0
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise TollgateError(f"config key '{key}' in {source} must be a list")
        return tuple(value)
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        kind = type(default).__name__
        raise TollgateError(
            f"config key '{key}' in {source} must be {kind}, got {value!r}"
        )
    return value


def _table_type(base: Any, name: str):
    """The dataclass of a field that holds a tuple of them ([[tables]] in TOML), else None."""
    args = typing.get_args(typing.get_type_hints(type(base))[name])
    return args[0] if args and dataclasses.is_dataclass(args[0]) else None


def _build(base: Any, values: Mapping[str, Any], prefix: str, source: str):
    """`base` (a config dataclass instance) with `values` laid over it."""
    known = {f.name for f in dataclasses.fields(base)}
    kwargs = {}
    for name, value in values.items():
        key = f"{prefix}{name}"
        if name not in known:
            choices = ", ".join(sorted(known))
            raise TollgateError(
                f"unknown config key '{key}' in {source}; known keys here: {choices}"
            )
        default = getattr(base, name)
        element = _table_type(base, name)
        if element is not None:
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                raise TollgateError(f"config key '{key}' in {source} must be a list of tables, [[{key}]]")
            kwargs[name] = tuple(_build(element(), item, f"{key}.", source) for item in value)
        elif dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise TollgateError(f"config key '{key}' in {source} must be a table")
            kwargs[name] = _build(default, value, f"{key}.", source)
        else:
            kwargs[name] = _coerce(value, default, key, source)
    return dataclasses.replace(base, **kwargs)


def _resource_problems(kubeflow: KubeflowConfig) -> list[str]:
    problems = []
    for name in ("trainer", "transform", "evaluator", "embedding_exporter"):
        spec: ResourceConfig = getattr(kubeflow, name)
        key = f"kubeflow.{name}"
        if spec.cpu < 0 or spec.memory_gb < 0 or spec.accelerator_count < 0:
            problems.append(f"{key}: cpu, memory_gb and accelerator_count may not be negative")
        if bool(spec.accelerator) != (spec.accelerator_count > 0):
            problems.append(f"{key}: set accelerator and accelerator_count together")
    return problems


def _serving_problems(serving: ServingConfig) -> list[str]:
    problems = []
    unknown = sorted(set(serving.targets) - {"saved_model", "tflite", "onnx"})
    if unknown:
        problems.append(f"serving.targets: unknown {', '.join(unknown)}; choose from saved_model, tflite, onnx")
    if "saved_model" not in serving.targets:
        problems.append("serving.targets must include saved_model, the reference the others are compared with")
    if min(serving.max_p99_ms, serving.min_throughput, serving.max_abs_diff) < 0:
        problems.append("serving.max_p99_ms, min_throughput and max_abs_diff may not be negative")
    if min(serving.examples, serving.repeats, serving.latency_calls) <= 0:
        problems.append("serving.examples, repeats and latency_calls must be positive")
    return problems


def _metric_problems(config: TollgateConfig) -> list[str]:
    if config.model.problem not in PROBLEMS:
        return [f"model.problem must be one of {', '.join(PROBLEMS)}, which picks the default metrics"]
    unknown = sorted({m.name for m in config.metrics} - set(METRICS))
    if unknown:
        return [f"evaluator.metrics: unknown metric {', '.join(map(repr, unknown))}; "
                f"choose from {', '.join(METRICS)}"]
    negative = [m.name for m in config.metrics if m.max_change is not None and m.max_change < 0]
    return [f"evaluator.metrics: max_change of {', '.join(negative)} may not be negative"] if negative else []


def _model_problems(config: TollgateConfig) -> list[str]:
    problems = _metric_problems(config)
    if not config.model.label_key:
        problems.append("model.label_key must name the label the Evaluator reads (as TFMA's ModelSpec.label_key)")
    if not config.model.signature_name:
        problems.append("model.signature_name may not be empty")
    return problems


def validate(config: TollgateConfig) -> TollgateConfig:
    """Rejects values that would only fail deep inside a run."""
    problems = []
    if config.trainer.train_steps <= 0:
        problems.append("trainer.train_steps must be positive")
    if config.trainer.eval_steps <= 0:
        problems.append("trainer.eval_steps must be positive")
    if config.trainer.batch_size <= 0:
        problems.append("trainer.batch_size must be positive")
    if not config.trainer.hidden_units or min(config.trainer.hidden_units) <= 0:
        problems.append("trainer.hidden_units must be a non-empty list of positive sizes")
    for key, store in (("metadata", config.metadata), ("kubeflow.metadata", config.kubeflow.metadata)):
        if store.backend not in ("sqlite", "mysql", "grpc"):
            problems.append(f"{key}.backend must be 'sqlite', 'mysql' or 'grpc'")
    if config.signoff.timeout_seconds < 0:
        problems.append("signoff.timeout_seconds must be 0 or more")
    if config.signoff.poll_seconds <= 0:
        problems.append("signoff.poll_seconds must be positive")
    if config.signoff.notifier not in ("log", "webhook"):
        problems.append("signoff.notifier must be 'log' or 'webhook'")
    if config.span < LATEST:
        problems.append("span must be a span number, or -1 for the newest")
    if config.validation.max_linf <= 0 or config.validation.max_jsd <= 0:
        problems.append("validation.max_linf and validation.max_jsd must be positive")
    problems += _model_problems(config)
    schema = config.schema_path
    if schema is not None and not schema.is_file():
        problems.append(f"validation.schema_file {schema} does not exist")
    if config.runner not in ("local", "kubeflow"):
        problems.append("runner must be 'local' or 'kubeflow'")
    problems += _resource_problems(config.kubeflow)
    problems += _serving_problems(config.serving)
    if not config.pipeline_name.replace("_", "").replace("-", "").isalnum():
        problems.append("pipeline_name may hold only letters, digits, '-' and '_'")
    if problems:
        raise TollgateError("bad config: " + "; ".join(problems))
    return config


def _read_toml(path: str | os.PathLike) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise TollgateError(f"config file {path} does not exist; check --config") from None
    except tomllib.TOMLDecodeError as err:
        raise TollgateError(f"config file {path} is not valid TOML: {err}") from None


def example_config_path(module: str = TAXI_MODULE) -> Path:
    """The config file beside a built-in example's module."""
    # find_spec imports the example's package (no TensorFlow), not its module.
    spec = importlib.util.find_spec(module.rpartition(".")[0])
    return Path(list(spec.submodule_search_locations)[0]) / EXAMPLE_CONFIG


def load_config(path: str | os.PathLike | None = None, **overrides: Any) -> TollgateConfig:
    """Defaults, then the taxi example's config unless a [model] module is
    named, then the TOML file (or $TOLLGATE_CONFIG), then overrides.

    Overrides use dotted names with '__' for the dot, e.g.
    `trainer__train_steps=100`, so CLI flags map onto them one to one.
    """
    path = path or os.environ.get(CONFIG_ENV)
    values: dict[str, Any] = _read_toml(path) if path else {}
    source = str(path) if path else "defaults"
    for dotted, value in overrides.items():
        if value is None:
            continue
        *parents, leaf = dotted.split("__")
        table = values
        for parent in parents:
            table = table.setdefault(parent, {})
        table[leaf] = value
    base = TollgateConfig()
    if not values.get("model", {}).get("module"):
        example = example_config_path()
        base = _build(base, _read_toml(example), "", str(example))
    return validate(_build(base, values, "", source))


def to_json(config: TollgateConfig) -> str:
    """The config with its local paths resolved, to replay a run exactly (no secrets in it)."""
    if config.runner == "local":
        config = dataclasses.replace(
            config, home=str(config.home_dir), data_root=str(config.data_dir),
            validation=dataclasses.replace(config.validation, schema_file=str(config.schema_path or "")),
        )
        if config.model.is_file:
            config = dataclasses.replace(config, model=dataclasses.replace(
                config.model, module=str(Path(config.model.module).resolve())))
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def from_json(text: str, source: str) -> TollgateConfig:
    return validate(_build(TollgateConfig(), json.loads(text), "", source))
