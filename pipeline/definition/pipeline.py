"""The one Tollgate pipeline definition, shared by every runner.

What differs between the places it runs comes from a backend object
(`pipeline.definition.backend`); nothing here knows which one it is.
"""

import dataclasses
import json
import logging

# TFX's homes for these, not `tfx.v1`: that imports every Google Cloud
# extension too, seconds of start-up in each process a run starts.
from tfx.components import Evaluator, ExampleValidator, SchemaGen, StatisticsGen, Trainer, Transform
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen
from tfx.dsl.components.base.executor_spec import BeamExecutorSpec
from tfx.dsl.components.common.resolver import Resolver
from tfx.orchestration.data_types import RuntimeParameter
from tfx.orchestration.pipeline import Pipeline
from tfx.proto import example_gen_pb2, pusher_pb2, range_config_pb2, trainer_pb2
from tfx.types import standard_artifacts as Standard
from tfx.types.channel import Channel

from components.anomaly_gate.component import AnomalyGate
from components.arrow_example_gen import executor as arrow_example_gen
from components.baseline.strategy import BaselineModelStrategy, ReleasedModelStrategy
from components.batch_evaluator import executor as batch_evaluator
from components.drift_check.component import DriftCheck
from components.drift_check.strategy import PreviousSpanStrategy
from components.embedding_exporter.component import EmbeddingExporter
from components.example_count_gate.component import ExampleCountGate
from components.publish.component import STAGING, Publish, Release
from components.publish.pusher import Pusher
from components.serving_check.component import ServingCheck
from components.signoff.component import SignOff
from components.vector_index_pusher.component import VectorIndexPusher
from pipeline.config import TollgateConfig, current_user
from pipeline.config_file import to_json
from pipeline.definition.backend import ExampleInput, LocalBackend
from pipeline.definition.eval_config import eval_config
from pipeline.definition.user_module import load_user_module
from pipeline.lineage.store import metadata_spec


def _example_gen(data: ExampleInput) -> FileBasedExampleGen:
    """CsvExampleGen's contract with an Arrow reader (components.arrow_example_gen);
    the node keeps CsvExampleGen's name, which lineage and reports look for."""
    range_config = None
    if data.span is not None:
        only = range_config_pb2.StaticRange(start_span_number=data.span, end_span_number=data.span)
        range_config = range_config_pb2.RangeConfig(static_range=only)
    return FileBasedExampleGen(
        input_base=data.base,
        input_config=example_gen_pb2.Input(
            splits=[example_gen_pb2.Input.Split(name="single_split", pattern=data.pattern)]
        ),
        range_config=range_config,
        custom_executor_spec=BeamExecutorSpec(arrow_example_gen.Executor),
    ).with_id("CsvExampleGen")


def _schema_gen(config: TollgateConfig, backend: LocalBackend, statistics_gen):
    if not config.validation.schema_file:
        return SchemaGen(
            statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True
        )
    # A curated schema: new data is checked against it, not described by it.
    return ImportSchemaGen(schema_file=backend.schema_file(config))


def _resolver(node_id: str, strategy, **channels) -> Resolver:
    return Resolver(strategy_class=strategy, **channels).with_id(node_id)


def _run_fact(name: str, default: str):
    """A value that belongs to the run, not to the definition: the runner binds
    it when each run starts (Kubeflow does, per run); locally, where the
    pipeline is defined as the run starts, the default is that value."""
    return RuntimeParameter(name=name, ptype=str, default=default)


def _drift_check(config: TollgateConfig, example_gen, statistics_gen, schema_gen) -> list:
    """A resolver for the span to compare with, and the check itself."""
    features = config.validation.drift_features
    if not features:
        return []
    previous = _resolver(
        "previous_span_resolver", PreviousSpanStrategy, current=example_gen.outputs["examples"],
        statistics=Channel(type=Standard.ExampleStatistics), examples=Channel(type=Standard.Examples),
    )
    check = DriftCheck(
        examples=example_gen.outputs["examples"],
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
        previous_examples=previous.outputs["examples"],
        previous=previous.outputs["statistics"],
        features=json.dumps(list(features)),
        max_linf=config.validation.max_linf,
        max_jsd=config.validation.max_jsd,
    )
    return [previous, check]


def _base_model():
    """The model a warm start begins from: the last one released."""
    return _resolver(
        "base_model_resolver", ReleasedModelStrategy,
        model=Channel(type=Standard.Model), release=Channel(type=Release),
    )


def _serving_check(config: TollgateConfig, example_gen, trainer, evaluator) -> ServingCheck:
    serving = config.serving
    return ServingCheck(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        examples=example_gen.outputs["examples"],
        signature_name=config.model.signature_name,
        targets=",".join(serving.targets),
        max_p99_ms=serving.max_p99_ms,
        min_throughput=serving.min_throughput,
        max_abs_diff=serving.max_abs_diff,
        examples_count=serving.examples,
        repeats=serving.repeats,
        latency_calls=serving.latency_calls,
    )


def _sign_off(config: TollgateConfig, backend: LocalBackend, trainer, evaluator, serving_check) -> SignOff:
    policy = config.signoff
    return SignOff(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        evaluation=evaluator.outputs["evaluation"],
        serving=serving_check.outputs["serving"],
        pipeline=config.pipeline_name,
        metadata=json.dumps(metadata_spec(config), sort_keys=True),
        timeout_seconds=policy.timeout_seconds,
        poll_seconds=policy.poll_seconds,
        notifier=policy.notifier,
        triggered_by=_run_fact("triggered_by", current_user()),
        command_prefix=_run_fact("command_prefix", backend.command_prefix(config)),
        release_command=_run_fact("release_command", backend.release_command(config)),
        run_config=to_json(config),
    )


def _baseline(trainer) -> Resolver:
    return _resolver(
        "baseline_model_resolver", BaselineModelStrategy, candidate=trainer.outputs["model"],
        model=Channel(type=Standard.Model), model_blessing=Channel(type=Standard.ModelBlessing),
    )


def _embeddings(config: TollgateConfig, example_gen, trainer, publish) -> list:
    columns = json.dumps(list(config.embeddings.columns))
    exporter = EmbeddingExporter(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        columns=columns,
        splits=",".join(config.embeddings.splits),
        encoder=config.embeddings.encoder,
        signature_name=config.model.embedding_signature,
    )
    index_pusher = VectorIndexPusher(
        embeddings=exporter.outputs["embeddings"],
        release=publish.outputs["release"],
        uri=config.milvus_uri,
        alias=config.vector_alias,
        columns=columns,
    )
    return [exporter, index_pusher]


def create_pipeline(config: TollgateConfig, backend: LocalBackend | None = None) -> Pipeline:
    """The pipeline for `config`, as `backend` (by default this machine) runs it."""
    backend = backend or LocalBackend()
    module = load_user_module(config.model)
    data = backend.example_input(config)
    if data.span is not None:
        # "The newest" changes as data arrives; the recorded config names the span.
        config = dataclasses.replace(config, span=data.span)
    example_gen = _example_gen(data)
    # Every row read must be in the files before anything judges them.
    count_gate = ExampleCountGate(examples=example_gen.outputs["examples"])
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    statistics_gen.add_upstream_node(count_gate)
    schema_gen = _schema_gen(config, backend, statistics_gen)
    example_validator = ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    drift = _drift_check(config, example_gen, statistics_gen, schema_gen)
    anomaly_gate = AnomalyGate(
        anomalies=example_validator.outputs["anomalies"],
        **({"drift": drift[-1].outputs["anomalies"]} if drift else {}),
    )
    transform = Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        **module.transform_args(),
        # StatisticsGen already profiled the raw data; Transform's own pre- and
        # post-transform statistics would double the cost of this step.
        disable_statistics=True,
        materialize=module.materialize,
        custom_config={"code_version": module.code_version},
    )
    transform.add_upstream_node(anomaly_gate)
    hparams = config.trainer
    base_model = _base_model() if hparams.warm_start else None
    # A stock run_fn reads Transform's output; one that applies the graph itself, the raw examples.
    examples = transform.outputs["transformed_examples"] if module.materialize else example_gen.outputs["examples"]
    trainer = Trainer(
        **module.trainer_args(),
        examples=examples,
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        base_model=base_model.outputs["model"] if base_model else None,
        train_args=trainer_pb2.TrainArgs(num_steps=hparams.train_steps),
        eval_args=trainer_pb2.EvalArgs(num_steps=hparams.eval_steps),
        custom_config={
            "batch_size": hparams.batch_size,
            "hidden_units": list(hparams.hidden_units),
            "learning_rate": hparams.learning_rate,
            "code_version": module.code_version,
        },
    )
    baseline = _baseline(trainer)
    evaluator = Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=baseline.outputs["model"],
        eval_config=eval_config(config),
    )
    # TFX's Evaluator takes no custom_executor_spec argument; set on the node,
    # it stays TFX's Evaluator in MLMD, the lineage and Kubeflow.
    evaluator.executor_spec = BeamExecutorSpec(batch_evaluator.Executor)
    serving_check = _serving_check(config, example_gen, trainer, evaluator)
    sign_off = _sign_off(config, backend, trainer, evaluator, serving_check)
    pusher = Pusher(
        model=trainer.outputs["model"],
        model_blessing=sign_off.outputs["blessing"],
        push_destination=pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(
                base_directory=str(config.serving_dir / STAGING)
            )
        ),
    )
    publish = Publish(
        pushed_model=pusher.outputs["pushed_model"],
        blessing=sign_off.outputs["blessing"],
        serving=serving_check.outputs["serving"],
        serving_dir=str(config.serving_dir),
        keyring=str(config.keyring_path),
        keyring_first_use=int(not config.signoff.keyring),
        metadata=json.dumps(metadata_spec(config), sort_keys=True),
    )
    components = [
        example_gen, count_gate, statistics_gen, schema_gen, example_validator, *drift, anomaly_gate, transform,
        *([base_model] if base_model else []), trainer, baseline, evaluator, serving_check, sign_off,
        pusher, publish,
    ]
    if config.makes_embeddings:
        components += _embeddings(config, example_gen, trainer, publish)
    size = backend.input_bytes(config)
    beam_args = config.beam_args_for(size)
    mode, workers = config.beam.mode_for(size)
    logging.info("Beam: %s mode, %s, for %s of CSV (direct_running_mode %r; arguments: %s)", mode,
                 f"{workers} worker(s)" if workers else "a worker per core",
                 "an unknown size" if size is None else f"{size / 2**20:.1f} MB", config.beam.direct_running_mode,
                 " ".join(beam_args))
    return Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=backend.pipeline_root(config),
        components=components,
        enable_cache=config.enable_cache,
        metadata_connection_config=backend.metadata_connection(config),
        beam_pipeline_args=beam_args,
    )
