"""The one Tollgate pipeline definition, shared by every runner."""

import json
import os
import posixpath
from pathlib import Path

from tfx import v1 as tfx

from components.anomaly_gate.component import AnomalyGate
from components.baseline.strategy import BaselineModelStrategy, ReleasedModelStrategy
from components.embedding_exporter.component import EmbeddingExporter
from components.drift_check.component import DriftCheck
from components.drift_check.strategy import PreviousSpanStrategy
from components.publish.component import STAGING, Publish, Release
from components.signoff.component import SignOff
from components.vector_index_pusher.component import VectorIndexPusher
from pipeline.config import DEFAULT_HOME, IMAGE_DATA_ROOT, IMAGE_WORKDIR, TollgateConfig, current_user, to_json
from pipeline.eval_config import eval_config
from pipeline.metadata import connection_config, metadata_spec
from pipeline.spans import SPAN_PATTERN, chosen_span, spans_in
from trainer import code_version


def _example_gen(config: TollgateConfig) -> tfx.components.CsvExampleGen:
    range_config = None
    if config.runner == "kubeflow":
        # A pipeline parameter, so each scheduled run can name its own data
        # and KFP's cache cannot mistake new data for an old run.
        base = tfx.dsl.experimental.RuntimeParameter(
            name="data_root", ptype=str, default=config.data_root or IMAGE_DATA_ROOT
        )
        pattern = "*.csv"
    elif spans_in(config.data_dir):
        # The newest span is chosen here, not left to TFX: a run for the
        # newest span and its replay by `tollgate release` (which names the
        # span) then have the same ExampleGen properties, so the replay is a
        # cache hit. TFX records the span on the Examples.
        base, pattern = str(config.data_dir), SPAN_PATTERN
        span, _ = chosen_span(config.data_dir, config.span)
        only = tfx.proto.StaticRange(start_span_number=span, end_span_number=span)
        range_config = tfx.proto.RangeConfig(static_range=only)
    else:
        # A directory contributes its *.csv files; a single file is read alone.
        data = config.data_dir
        base, pattern = (str(data), "*.csv") if data.is_dir() else (str(data.parent), data.name)
    return tfx.components.CsvExampleGen(
        input_base=base,
        input_config=tfx.proto.Input(
            splits=[tfx.proto.Input.Split(name="single_split", pattern=pattern)]
        ),
        range_config=range_config,
    )


def _schema_gen(config: TollgateConfig, statistics_gen):
    schema_file = config.validation.schema_file
    if not schema_file:
        return tfx.components.SchemaGen(
            statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True
        )
    # A curated schema: new data is checked against it, not described by it.
    if config.runner == "kubeflow" and not os.path.isabs(schema_file):
        return tfx.components.ImportSchemaGen(schema_file=posixpath.join(IMAGE_WORKDIR, schema_file))
    return tfx.components.ImportSchemaGen(schema_file=str(config.schema_path))


def _drift_check(config: TollgateConfig, example_gen, statistics_gen, schema_gen) -> list:
    """A resolver for the span to compare with, and the check itself."""
    features = config.validation.drift_features
    if not features:
        return []
    standard = tfx.types.standard_artifacts
    channels = {
        "statistics": tfx.dsl.Channel(type=standard.ExampleStatistics),
        "examples": tfx.dsl.Channel(type=standard.Examples),
    }
    if config.runner == "kubeflow":
        # KFP compiles only TFX's built-in strategies: on the cluster the
        # comparison is with the previous run's data (kubeflow/README.md).
        resolver = tfx.dsl.Resolver(strategy_class=tfx.dsl.experimental.LatestArtifactStrategy, **channels)
    else:
        resolver = tfx.dsl.Resolver(
            strategy_class=PreviousSpanStrategy, current=example_gen.outputs["examples"], **channels
        )
    resolver = resolver.with_id("previous_span_resolver")
    check = DriftCheck(
        examples=example_gen.outputs["examples"],
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
        previous_examples=resolver.outputs["examples"],
        previous=resolver.outputs["statistics"],
        features=json.dumps(list(features)),
        max_linf=config.validation.max_linf,
        max_jsd=config.validation.max_jsd,
    )
    return [resolver, check]


def _base_model(config: TollgateConfig):
    """The model a warm start begins from: the last one released."""
    channels = {
        "model": tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
    }
    if config.runner == "kubeflow":
        channels["model_blessing"] = tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing)
        resolver = tfx.dsl.Resolver(strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy, **channels)
    else:
        resolver = tfx.dsl.Resolver(
            strategy_class=ReleasedModelStrategy, release=tfx.dsl.Channel(type=Release), **channels
        )
    return resolver.with_id("base_model_resolver")


def _command_prefix(config: TollgateConfig) -> str:
    """How a person reaches this store from a shell."""
    if config.home_dir == Path(DEFAULT_HOME).expanduser().resolve():
        return "tollgate"
    return f"TOLLGATE_HOME={config.home_dir} tollgate"


def _sign_off(config: TollgateConfig, trainer, evaluator) -> SignOff:
    policy = config.signoff
    return SignOff(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        evaluation=evaluator.outputs["evaluation"],
        pipeline=config.pipeline_name,
        metadata=json.dumps(metadata_spec(config), sort_keys=True),
        timeout_seconds=policy.timeout_seconds,
        poll_seconds=policy.poll_seconds,
        approvers=json.dumps(list(policy.approvers)),
        allow_self_approval=policy.allow_self_approval,
        notifier=policy.notifier,
        triggered_by=current_user(),
        command_prefix=_command_prefix(config),
        run_config=to_json(config),
    )


def _baseline(config: TollgateConfig, trainer) -> tfx.dsl.Resolver:
    channels = {
        "model": tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        "model_blessing": tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    }
    if config.runner == "kubeflow":
        # KFP compiles only TFX's two built-in strategies into its own
        # artifact queries, so the cluster's baseline is the latest model
        # with a positive blessing, the Evaluator's included (kubeflow/README.md).
        return tfx.dsl.Resolver(
            strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy, **channels
        ).with_id("baseline_model_resolver")
    return tfx.dsl.Resolver(
        strategy_class=BaselineModelStrategy, candidate=trainer.outputs["model"], **channels
    ).with_id("baseline_model_resolver")


def _embeddings(config: TollgateConfig, example_gen, trainer, publish) -> list:
    columns = json.dumps(list(config.embeddings.columns))
    exporter = EmbeddingExporter(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        columns=columns,
        splits=",".join(config.embeddings.splits),
        encoder=config.embeddings.encoder,
    )
    index_pusher = VectorIndexPusher(
        embeddings=exporter.outputs["embeddings"],
        release=publish.outputs["release"],
        uri=config.milvus_uri,
        alias=config.vector_alias,
        columns=columns,
    )
    return [exporter, index_pusher]


def _pipeline_root(config: TollgateConfig) -> str:
    if config.runner == "kubeflow" and config.kubeflow.pipeline_root:
        return config.kubeflow.pipeline_root
    return str(config.pipeline_root)


def create_pipeline(config: TollgateConfig) -> tfx.dsl.Pipeline:
    code = code_version()
    example_gen = _example_gen(config)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = _schema_gen(config, statistics_gen)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    drift = _drift_check(config, example_gen, statistics_gen, schema_gen)
    anomaly_gate = AnomalyGate(
        anomalies=example_validator.outputs["anomalies"],
        **({"drift": drift[-1].outputs["anomalies"]} if drift else {}),
    )
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn="trainer.preprocessing.preprocessing_fn",
        # StatisticsGen already profiled the raw data; Transform's own pre- and
        # post-transform statistics would double the cost of this step.
        disable_statistics=True,
        # The Trainer applies the transform graph itself and caches the result
        # in memory, which is cheaper than writing transformed copies to disk.
        materialize=False,
        custom_config={"code_version": code},
    )
    transform.add_upstream_node(anomaly_gate)
    hparams = config.trainer
    base_model = _base_model(config) if hparams.warm_start else None
    trainer = tfx.components.Trainer(
        run_fn="trainer.model.run_fn",
        examples=example_gen.outputs["examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        base_model=base_model.outputs["model"] if base_model else None,
        train_args=tfx.proto.TrainArgs(num_steps=hparams.train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=hparams.eval_steps),
        custom_config={
            "batch_size": hparams.batch_size,
            "hidden_units": list(hparams.hidden_units),
            "learning_rate": hparams.learning_rate,
            "code_version": code,
        },
    )
    baseline = _baseline(config, trainer)
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=baseline.outputs["model"],
        eval_config=eval_config(config.evaluator),
    )
    sign_off = _sign_off(config, trainer, evaluator)
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=sign_off.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(
                base_directory=str(config.serving_dir / STAGING)
            )
        ),
    )
    publish = Publish(
        pushed_model=pusher.outputs["pushed_model"],
        blessing=sign_off.outputs["blessing"],
        serving_dir=str(config.serving_dir),
    )
    components = [
        example_gen, statistics_gen, schema_gen, example_validator, *drift, anomaly_gate, transform,
        *([base_model] if base_model else []), trainer, baseline, evaluator, sign_off, pusher, publish,
    ]
    if config.embeddings.enabled:
        components += _embeddings(config, example_gen, trainer, publish)
    return tfx.dsl.Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=_pipeline_root(config),
        components=components,
        enable_cache=config.enable_cache,
        # On Kubeflow, KFP's launcher connects to the cluster's own store.
        metadata_connection_config=connection_config(config) if config.runner == "local" else None,
        beam_pipeline_args=config.beam_args,
    )
