"""Tollgate's one typed, frozen configuration.

Everything a run needs is here: the local runner, the Kubeflow compiler, the
commands and the tests all take a `TollgateConfig` and nothing else. Values
come from the dataclass defaults, then a TOML file, then CLI flags, in that
order (pipeline/config_file.py reads and checks them). This module is the
bottom layer of `pipeline/`: it imports none of it.
"""

from __future__ import annotations

import dataclasses
import datetime
import getpass
import importlib.util
import os
from pathlib import Path

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


# Beam's flags for what its workers run: a user who names one has chosen.
_DEPENDENCY_FLAGS = ("--sdk_container_image", "--worker_harness_container_image", "--setup_file",
                     "--requirements_file", "--extra_package")


def _stamp(run_id: str) -> str:
    try:
        return datetime.datetime.fromisoformat(run_id).strftime("%Y%m%d-%H%M%S-%f")
    except ValueError:  # a Kubeflow run's id: its report is in the KFP UI
        return run_id.replace("/", "-")


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
    # The reviewed file naming each approver's public key (components/signoff/keys.py),
    # relative to the working directory. Empty: <home>/keyring, to which a key
    # is added the first time it signs (trust on first use, for one person).
    keyring: str = ""


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


BEAM_MODES = ("auto", "in_memory", "multi_threading", "multi_processing")


@dataclasses.dataclass(frozen=True)
class BeamConfig:
    # The DirectRunner's mode. "auto": in memory, in this process, below
    # multi_processing_mb of CSV, where process pools cost more to start than
    # they save (100k taxi rows, 13 MB: 27 s in memory, 49 s on two
    # processes); from there up, one process per core (1M rows, 123 MB: 100 s
    # against 95 s, and the gap grows with the rows). Or a mode by name, with
    # direct_num_workers.
    direct_running_mode: str = "auto"
    direct_num_workers: int = 1
    multi_processing_mb: int = 100  # the two measured sizes' lines cross at about 830k taxi rows
    extra_args: tuple[str, ...] = ()

    def mode_for(self, input_bytes: int | None) -> tuple[str, int]:
        """The mode and worker count for an input of this size (None: unknown)."""
        if self.direct_running_mode != "auto":
            return self.direct_running_mode, self.direct_num_workers
        if input_bytes is not None and input_bytes >= self.multi_processing_mb << 20:
            # 0: Beam starts one per core. The arguments are in each step's
            # cache key, which should not change with the machine a run replays on.
            return "multi_processing", 0
        return "in_memory", 1


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
class UIConfig:
    """The review desk, `tollgate ui` (pipeline/ui/)."""

    host: str = "127.0.0.1"
    port: int = 8765
    # Where people reach the desk ("https://tollgate.example.com"): the
    # sign-off message, the KFP SignOff card and `tollgate run` link to it.
    base_url: str = ""
    # Behind Kubeflow's authentication only: the header its proxy sets to the
    # signed-in person ("kubeflow-userid"). Empty: the desk's own accounts.
    user_header: str = ""
    # Paths to a PEM certificate and key: HTTPS, needed on any interface but
    # loopback unless user_header names the proxy's header.
    tls_cert: str = ""
    tls_key: str = ""


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
    ui: UIConfig = UIConfig()
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
    def keyring_path(self) -> Path:
        return Path(self.signoff.keyring).resolve() if self.signoff.keyring else self.home_dir / "keyring"

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
    def accounts_path(self) -> Path:
        """The review desk's accounts: outside the store, mode 0600."""
        return self.home_dir / "ui" / "accounts.json"

    @property
    def reports_dir(self) -> Path:
        return self.home_dir / "reports"

    def run_report(self, run_id: str) -> Path:
        """A local run's report page, named by the moment its id (ISO 8601) names."""
        return self.reports_dir / self.run_report_name(run_id)

    def run_report_name(self, run_id: str) -> str:
        return f"run-{self.pipeline_name}-{_stamp(run_id)}.html"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.metadata.sqlite_path or self.home_dir / "metadata.sqlite")

    def beam_args_for(self, input_bytes: int | None = None) -> list[str]:
        """Beam's arguments for an input of this size (see BeamConfig.mode_for)."""
        mode, workers = self.beam.mode_for(input_bytes)
        args = [f"--direct_running_mode={mode}", f"--direct_num_workers={workers}", *self.beam.extra_args]
        direct = self.beam_runner.rsplit(".", 1)[-1].lower().removesuffix("runner") == "direct"  # as Beam reads it
        if direct and not any(arg.startswith(_DEPENDENCY_FLAGS) for arg in self.beam.extra_args):
            # Without a dependency flag, TFX builds a tfx sdist for every Beam
            # step (about 1.5 s each) to ship to remote workers. The
            # DirectRunner's workers run on this machine, from this
            # environment, and need nothing shipped; naming the image they
            # already run in tells TFX so. Any other runner has workers
            # elsewhere, which need the real image or package.
            args.append("--sdk_container_image=local-process")
        return args

    @property
    def beam_args(self) -> list[str]:
        return self.beam_args_for(None)

    @property
    def beam_runner(self) -> str:
        """The runner [beam] extra_args names (Beam's --runner), else the DirectRunner."""
        runner, args = "DirectRunner", list(self.beam.extra_args)
        for i, arg in enumerate(args):
            if arg.startswith("--runner="):
                runner = arg.split("=", 1)[1]
            elif arg == "--runner" and i + 1 < len(args):
                runner = args[i + 1]
        return runner
