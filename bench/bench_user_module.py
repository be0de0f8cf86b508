"""Another team's module through Tollgate and through plain TFX, in one invocation.

The module is tests/e2e/stock/churn.py, written as for stock TFX (tft
analyzers, an input_fn on transformed examples, Keras fit). Both pipelines
get it as TFX's module_file, on the same CSV with the same steps, each in
its own process on an empty state directory:

  baseline  a plain LocalDagRunner pipeline of the standard components
            (CsvExampleGen, StatisticsGen, SchemaGen, ExampleValidator,
            Transform, Trainer, a latest-blessed resolver, Evaluator,
            Pusher), with in-memory Beam on one worker: its fastest honest
            local setup (multi-process Beam is slower on two cores)
  tollgate  the same module named by [model], with the data and drift
            gates, the serving check, the sign-off and embeddings (by the
            configured encoder, as the module exports no embedding
            signature); the run ends at the sign-off, as nobody approves in
            a bench, so the index push that waits on the release is left out

Prints wall times, the ratio, and seconds per component from MLMD.

    .venv/bin/python bench/bench_user_module.py [--rows 5000] [--steps 300] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODULE = REPO / "tests" / "e2e" / "stock" / "churn.py"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(REPO))
EVAL_STEPS = 5


def _eval_config():
    import tensorflow_model_analysis as tfma

    auc = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": 0.7}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -0.01}),
    )
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(label_key="churned", preprocessing_function_names=["transform_features"])],
        slicing_specs=[tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=["region"])],
        metrics_specs=[tfma.MetricsSpec(metrics=[
            tfma.MetricConfig(class_name="ExampleCount"),
            tfma.MetricConfig(class_name="BinaryAccuracy"),
            tfma.MetricConfig(class_name="AUC", threshold=auc),
        ])],
    )


def _baseline_pipeline(root: Path, data: Path, steps: int):
    from tfx import v1 as tfx

    example_gen = tfx.components.CsvExampleGen(input_base=str(data.parent))
    statistics = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema = tfx.components.SchemaGen(statistics=statistics.outputs["statistics"], infer_feature_shape=True)
    validator = tfx.components.ExampleValidator(
        statistics=statistics.outputs["statistics"], schema=schema.outputs["schema"])
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"], schema=schema.outputs["schema"], module_file=str(MODULE))
    trainer = tfx.components.Trainer(
        module_file=str(MODULE), examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"], schema=schema.outputs["schema"],
        train_args=tfx.proto.TrainArgs(num_steps=steps), eval_args=tfx.proto.EvalArgs(num_steps=EVAL_STEPS))
    baseline = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"], model=trainer.outputs["model"],
        baseline_model=baseline.outputs["model"], eval_config=_eval_config())
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=str(root / "serving"))))
    return tfx.dsl.Pipeline(
        pipeline_name="baseline_churn", pipeline_root=str(root / "pipeline"),
        components=[example_gen, statistics, schema, validator, transform, trainer, baseline, evaluator, pusher],
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            str(root / "metadata.sqlite")),
        beam_pipeline_args=["--direct_running_mode=in_memory", "--direct_num_workers=1"],
    )


def _tollgate_pipeline(root: Path, data: Path, steps: int):
    from pipeline.config_file import load_config
    from pipeline.definition.pipeline import create_pipeline
    from pipeline.lineage.store import store_for

    config = load_config(
        None, home=str(root), data_root=str(data), trainer__train_steps=steps, trainer__eval_steps=EVAL_STEPS,
        model__module=str(MODULE), model__label_key="churned",
        model__preprocessing_function_names=["transform_features"],
        evaluator__slice_features=["region"], validation__drift_features=["region"],
        # The module has no embedding signature: an encoder makes the vectors.
        embeddings__encoder="trainer.encoders.hashed_text", embeddings__columns=["region", "age"],
    )
    store_for(config)  # as the local runner does: the store exists before TFX connects to it
    return create_pipeline(config)


def child(which: str, root: Path, data: Path, steps: int) -> None:
    """Runs one pipeline in this process and prints its seconds as JSON."""
    if which == "tollgate":
        from pipeline.environment import prepare_process

        prepare_process()  # as `tollgate run` does
    from tfx import v1 as tfx

    from components.signoff.executor import SignOffPending

    build = _baseline_pipeline if which == "baseline" else _tollgate_pipeline
    started = time.perf_counter()
    pipeline = build(root, data, steps)
    try:
        tfx.orchestration.LocalDagRunner().run(pipeline)
    except SignOffPending:
        pass  # the human gate: only Pusher and Publish, a fraction of a second, are left out
    print(json.dumps({"pipeline_s": time.perf_counter() - started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", help="keep state here (default: a temporary folder)")
    parser.add_argument("--child", choices=("baseline", "tollgate"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.root), Path(args.data), args.steps)
        return

    from bench_pipeline import component_times, run_child

    from tests.e2e.stock.churn_data import churn_csv

    out = Path(args.out or tempfile.mkdtemp(prefix="tollgate-bench-module-"))
    data = churn_csv(out / "data" / "churn.csv", args.rows)
    results = {}
    for which in ("baseline", "tollgate"):
        print(f"running {which} ...", file=sys.stderr)
        figures = run_child(which, out / which, data, args.steps, script=__file__)
        figures["components"] = component_times(out / which / "metadata.sqlite", 0)
        results[which] = figures
    b, t = results["baseline"], results["tollgate"]
    print(f"\n{MODULE.name} (stock TFX style), {args.rows:,} rows, {args.steps} steps, first run on empty state\n")
    print(f"{'':22} {'baseline':>9} {'tollgate':>9} {'ratio':>7}")
    for label, key in (("pipeline s", "pipeline_s"), ("process s", "wall_s")):
        print(f"{label:22} {b[key]:9.1f} {t[key]:9.1f} {t[key] / b[key]:7.2f}")
    print("\nPer component (seconds, from MLMD):")
    for name in dict.fromkeys([*b["components"], *t["components"]]):
        a, c = (results[w]["components"].get(name, (None, ""))[0] for w in ("baseline", "tollgate"))
        print(f"  {name:30} {'-' if a is None else f'{a:.1f}':>8} {'-' if c is None else f'{c:.1f}':>8}")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nraw figures: {out / 'results.json'}")


if __name__ == "__main__":
    main()
