"""Lineage answers from MLMD: what made a model, how it did, who approved it,
where it went. Typed records (`pipeline.lineage.records`) built from the
store's own filter queries and `get_lineage_subgraph` (`pipeline.lineage.walk`);
no TensorFlow is imported, so a query costs milliseconds.
"""

from __future__ import annotations

import fnmatch
import os

import ml_metadata

from components import artifact_types
from components.metrics import summary_metric, tfma_class
from components.signoff import records
from pipeline.errors import TollgateError
from pipeline.lineage import records as rec
from pipeline.lineage.data import data_input, json_prop, prop, ref, validation
from pipeline.lineage.proof import model_proof
from pipeline.lineage.runs import iso
from pipeline.lineage.walk import INPUT, OUTPUT, Graph, executions, executions_for, producer


def _released(store) -> list:
    query = f"type = '{artifact_types.RELEASE}' AND custom_properties.released.int_value = 1"
    return _first_per_version(store.get_artifacts(list_options=ml_metadata.ListOptions(filter_query=query)))


def _first_per_version(releases: list) -> list:
    """Releases of one model that raced each record the one version its single
    publish made; that version was released once, when first recorded."""
    first = {}
    for release in sorted(releases, key=lambda r: r.id):
        first.setdefault(prop(release, "serving_path"), release)
    return list(first.values())


def released_model(store, release_id: int) -> int:
    """The model a release published: release <- Publish <- pushed model <- Pusher <- model."""
    graph = Graph(store)
    publish = graph.add(executions(store, [release_id], OUTPUT))
    pushed = [a.id for p in publish for a in graph.linked(p.id, INPUT, "PushedModel")]
    pushers = graph.add(executions(store, pushed, OUTPUT))
    models = [m for p in pushers for m in graph.linked(p.id, INPUT, "Model", key="model")]
    if not models:
        raise TollgateError(f"release {release_id} has no recorded model; is this a Tollgate store?")
    return models[0].id


def resolve_model(store, spec: str) -> int:
    """A model id from 'latest', 'serving', a pushed path, or an artifact id."""
    if spec.isdigit():
        found = store.get_artifacts_by_id([int(spec)])
        if found and found[0].type == "Model":
            return found[0].id
        raise TollgateError(f"no model {spec} in the metadata store; `tollgate runs` lists models")
    if spec == "latest":
        models = store.get_artifacts_by_type("Model")
        if not models:
            raise TollgateError("the metadata store holds no model yet; run `tollgate run` first")
        return max(m.id for m in models)
    releases = _released(store)
    if spec != "serving":
        releases = [r for r in releases if prop(r, "serving_path") == spec.rstrip("/")]
    if not releases:
        raise TollgateError(
            f"no released model matches {spec!r}; use a model id, 'latest', 'serving', or a pushed path"
        )
    return released_model(store, releases[-1].id)


def _trainer(graph: Graph, trainer) -> rec.TrainerRun:
    custom = json_prop(trainer, "custom_config")
    return rec.TrainerRun(
        base_model=ref(graph.first(trainer.id, INPUT, "Model", key="base_model")),
        execution_id=trainer.id,
        run_fn=prop(trainer, "run_fn"),
        train_args=json_prop(trainer, "train_args"),
        eval_args=json_prop(trainer, "eval_args"),
        hyperparameters={k: v for k, v in custom.items() if k != "code_version"},
        code_version=custom.get("code_version"),
        trained_at=iso(trainer.create_time_since_epoch),
    )


def thresholds_of(eval_config: dict) -> list[rec.Threshold]:
    """The value and change thresholds an eval config (as JSON) sets."""
    found = []
    for spec in eval_config.get("metrics_specs", []):
        for metric in spec.get("metrics", []):
            for item in metric.get("per_slice_thresholds", []):
                limit = item.get("threshold", {})
                value, change = limit.get("value_threshold", {}), limit.get("change_threshold", {})
                found.append(rec.Threshold(
                    metric=tfma_class(metric["class_name"]),
                    slices=[s for s in item.get("slicing_specs", []) if s],
                    lower_bound=value.get("lower_bound"),
                    upper_bound=value.get("upper_bound"),
                    change_absolute=change.get("absolute"),
                    change_direction=change.get("direction"),
                ))
    return found


def _slices(summary: dict) -> list[rec.SliceResult]:
    if "slices" in summary:
        return [rec.SliceResult(s["slice"], s["metrics"]) for s in summary["slices"]]
    # Stores written before every slice was recorded: what there is.
    found = [rec.SliceResult("overall", summary["overall"])] if summary.get("overall") else []
    worst = summary.get("worst_slice")
    return found + ([rec.SliceResult(worst["slice"], worst["metrics"])] if worst else [])


def _evaluation(graph: Graph, model_id: int, users: list, summary: dict) -> rec.Evaluation | None:
    evaluator = next((e for e in users if e.type.endswith("Evaluator")), None)
    if evaluator is None:
        return None
    blessing = graph.first(evaluator.id, OUTPUT, "ModelBlessing")
    baseline = graph.first(evaluator.id, INPUT, "Model", key="baseline_model")
    eval_config = json_prop(evaluator, "eval_config")
    return rec.Evaluation(
        evaluation=ref(graph.first(evaluator.id, OUTPUT, "ModelEvaluation")),
        blessed=bool(prop(blessing, "blessed")) if blessing is not None else None,
        baseline_model_id=baseline.id if baseline is not None else None,
        thresholds=thresholds_of(eval_config),
        slices=_slices(summary),
        eval_config=eval_config,
        evaluated_at=iso(evaluator.create_time_since_epoch),
        baseline_slices=[rec.SliceResult(s["slice"], s["metrics"]) for s in summary.get("baseline_slices", [])],
    )


def _pushed(graph: Graph, users: list) -> list[int]:
    return [a.id for p in users if p.type.endswith(".Pusher") for a in graph.linked(p.id, OUTPUT, "PushedModel")]


def _releases(graph: Graph, pushed: list[int]) -> list[rec.Release]:
    """Releases of the pushed models; their Publish executions must be in the graph."""
    found = [
        a for p in graph.using(pushed, "Publish")
        for a in graph.linked(p.id, OUTPUT, artifact_types.RELEASE) if prop(a, "released") == 1
    ]
    return [
        rec.Release(prop(r, "serving_path"), prop(r, "version"), iso(r.create_time_since_epoch),
                    prop(r, "targets") or "")
        for r in _first_per_version(found)
    ]


def releases_of(store, model_id: int) -> list[rec.Release]:
    """Where the model was released, oldest first."""
    graph = Graph(store)
    pushed = _pushed(graph, graph.add(executions(store, [model_id], INPUT, ".Pusher")))
    graph.add(executions(store, pushed, INPUT, "Publish"))
    return _releases(graph, pushed)


def _exported(graph: Graph, users: list):
    exporter = next((e for e in users if e.type.endswith("EmbeddingExporter")), None)
    return graph.first(exporter.id, OUTPUT, artifact_types.EMBEDDINGS) if exporter else None


def _embeddings(graph: Graph, embeddings) -> rec.EmbeddingExport | None:
    """The export and where it was loaded; its index pushers must be in the graph."""
    if embeddings is None:
        return None
    pushers = graph.using([embeddings.id], "VectorIndexPusher")
    loaded = [
        a for p in pushers for a in graph.linked(p.id, OUTPUT, artifact_types.VECTOR_INDEX) if prop(a, "loaded") == 1
    ]
    return rec.EmbeddingExport(
        embeddings=ref(embeddings),
        count=prop(embeddings, "count"),
        dimension=prop(embeddings, "dimension"),
        split=prop(embeddings, "split"),
        encoder=prop(embeddings, "encoder"),
        indexes=[
            rec.VectorIndex(prop(a, "uri"), prop(a, "collection"), prop(a, "alias"),
                            prop(a, "count"), iso(a.create_time_since_epoch))
            for a in loaded
        ],
    )


def _run_id(store, execution) -> str | None:
    runs = [c.name for c in store.get_contexts_by_execution(execution.id) if c.type == "pipeline_run"]
    return runs[0] if runs else None


def _candidate_users(graph: Graph, model_id: int) -> list:
    """Executions that used the model as the candidate: its evaluation, sign-off, pushes."""
    found = graph.using([model_id], "")
    return [e for e in found if graph.keys(e.id, model_id) != {"baseline_model"}]


def _signoff_summary(graph: Graph, users: list, signoff: dict | None) -> dict:
    if signoff and signoff.get("eval_summary"):
        return signoff["eval_summary"]
    for execution in reversed(users):
        if execution.type.endswith("SignOff"):
            blessing = graph.first(execution.id, OUTPUT, "ModelBlessing")
            if blessing is not None and prop(blessing, "eval_summary"):
                return json_prop(blessing, "eval_summary")
    return {}


def trained_on(store, graph: Graph, trainer):
    """The examples ExampleGen made that the Trainer learned from. A stock
    module's Trainer reads Transform's transformed examples: one step further."""
    examples = graph.first(trainer.id, INPUT, "Examples")
    maker = producer(store, examples.id) if examples is not None else None
    if maker is None or not maker.type.endswith("Transform"):
        return examples
    graph.add([maker])
    return graph.first(maker.id, INPUT, "Examples", key="examples")


def model_lineage(store, model_id: int, trusted=None) -> rec.ModelLineage:
    """Everything MLMD knows about one model, in four rounds of two queries
    (a fifth for a stock module, whose Trainer read Transform's output). With
    `trusted` (pipeline.lineage.proof.trust_of), the sign-off says whether its proof holds."""
    [model] = store.get_artifacts_by_id([model_id])
    graph = Graph(store)
    trainer = producer(store, model_id)
    if trainer is None:
        raise TollgateError(f"model {model_id} has no recorded producer; is this a Tollgate store?")
    graph.add([trainer])
    examples = trained_on(store, graph, trainer)
    schema = graph.first(trainer.id, INPUT, "Schema")
    base = graph.first(trainer.id, INPUT, "Model", key="base_model")
    inputs = [a.id for a in graph.linked(trainer.id, INPUT) if a is not base]
    examples_ids = [examples.id] if examples is not None else []
    found = graph.add(executions_for(
        store, (inputs + examples_ids, OUTPUT, ""), (examples_ids, INPUT, "StatisticsGen")))
    statistics = next((a for e in found for a in graph.linked(e.id, OUTPUT, "ExampleStatistics")), None)
    stats_ids = [statistics.id] if statistics is not None else []
    graph.add(executions_for(
        store, (stats_ids, OUTPUT, ""), (stats_ids, INPUT, "ExampleValidator"),
        (stats_ids, INPUT, "DriftCheck"), ([model_id], INPUT, ""),
    ))
    users = _candidate_users(graph, model_id)
    pushed, embeddings = _pushed(graph, users), _exported(graph, users)
    graph.add(executions_for(
        store, (pushed, INPUT, "Publish"), ([embeddings.id] if embeddings else [], INPUT, "VectorIndexPusher"),
    ))
    anomalies, drift = validation(graph, statistics)
    signoff = records.signoff_state(store, model_id)
    if signoff and signoff["approver"] and trusted:
        signoff["proof"] = model_proof(store, model_id, trusted)
    summary = _signoff_summary(graph, users, signoff)
    return rec.ModelLineage(
        model=rec.Ref(model.id, model.uri),
        run_id=_run_id(store, trainer),
        data=data_input(graph, examples, statistics),
        statistics=ref(statistics),
        anomalies=anomalies,
        schema=ref(schema),
        transform_graph=ref(graph.first(trainer.id, INPUT, "TransformGraph")),
        trainer=_trainer(graph, trainer),
        evaluation=_evaluation(graph, model_id, users, summary),
        signoff=signoff,
        releases=_releases(graph, pushed),
        embeddings=_embeddings(graph, embeddings),
        execution_ids=sorted(graph.executions),
        drift=drift,
        serving=summary.get("serving"),
    )


def audit(store, since: str | None = None, trusted=None) -> list[rec.AuditEntry]:
    """Every release in order: model, data, metrics, approver, when."""
    entries = []
    for release in _released(store):
        released_at = iso(release.create_time_since_epoch)
        if since and released_at < since:
            continue
        model_id = released_model(store, release.id)
        graph = Graph(store)
        trainer = graph.add([producer(store, model_id)])[0]
        examples = trained_on(store, graph, trainer)
        graph.add(executions(store, [examples.id] if examples is not None else [], OUTPUT))
        data = data_input(graph, examples, None)
        signoff = records.signoff_state(store, model_id) or {}
        entries.append(rec.AuditEntry(
            released_at=released_at,
            serving_path=prop(release, "serving_path"),
            model_id=model_id,
            run_id=_run_id(store, trainer),
            data=data.input_base,
            input_fingerprint=data.input_fingerprint,
            metrics=(signoff.get("eval_summary") or {}).get("overall"),
            metric=summary_metric(signoff.get("eval_summary")).name,
            approver=signoff.get("approver"),
            decided_at=signoff.get("decided_at"),
            span=data.span,
            proof=model_proof(store, model_id, trusted),
        ))
    return entries


def _examples_for(store, data: str) -> list:
    """Examples made from `data`: a span number, or a CSV file or folder path."""
    examples = store.get_artifacts_by_type("Examples")
    if data.isdigit():
        return [e for e in examples if prop(e, "span") == int(data)]
    wanted = os.path.abspath(data)
    graph = Graph(store)
    graph.add(executions(store, [e.id for e in examples], OUTPUT, "ExampleGen"))
    found = []
    for artifact in examples:
        maker = graph.maker(artifact.id)
        if maker is None:
            continue
        base = prop(maker, "input_base") or ""
        patterns = [s.get("pattern") for s in json_prop(maker, "input_config").get("splits", [])]
        if wanted == base or any(fnmatch.fnmatch(wanted, os.path.join(base, p)) for p in patterns):
            found.append(artifact)
    return found


def models_trained_on(store, data: str) -> list[rec.TrainedOn]:
    """Every model trained on the data, and whether it was released."""
    graph = Graph(store)
    models = {}
    for examples in _examples_for(store, data):
        # The Trainer reads these, or (a stock module) Transform's output of them.
        transforms = graph.add(executions(store, [examples.id], INPUT, "Transform"))
        read = [examples.id, *(a.id for t in transforms for a in graph.linked(t.id, OUTPUT, "Examples"))]
        for trainer in graph.add(executions(store, read, INPUT, "Trainer")):
            for model in graph.linked(trainer.id, OUTPUT, "Model"):
                models.setdefault(model.id, examples.id)
    entries = []
    for model_id, examples_id in sorted(models.items()):
        releases = releases_of(store, model_id)
        status = (records.signoff_state(store, model_id) or {}).get("status")
        entries.append(rec.TrainedOn(model_id, examples_id, bool(releases), releases, status))
    return entries
