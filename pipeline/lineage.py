"""Lineage answers from MLMD: what made a model, how it did, who approved it,
where it went. Built on the store's own `get_lineage_subgraph`; imports no
TensorFlow, so a query costs milliseconds.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os

from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.anomaly_gate.anomalies import read_anomalies
from components.signoff import records
from pipeline.errors import TollgateError
from pipeline.runs import iso

_OPTIONS = mlmd.LineageSubgraphQueryOptions
INPUT, OUTPUT = mlmd.Event.INPUT, mlmd.Event.OUTPUT


class Graph:
    """One lineage subgraph, indexed for walking."""

    def __init__(self, graph: mlmd.LineageGraph):
        self.artifacts = {a.id: a for a in graph.artifacts}
        self.executions = {e.id: e for e in graph.executions}
        self.events = list(graph.events)

    def producer(self, artifact_id: int):
        """The execution that made the artifact: not a resolver, not a cache hit."""
        makers = [
            self.executions[e.execution_id]
            for e in self.events
            if e.artifact_id == artifact_id and e.type == OUTPUT and e.execution_id in self.executions
        ]
        makers = [m for m in makers if "Resolver" not in m.type and m.last_known_state != m.CACHED]
        return min(makers, key=lambda m: m.id, default=None)

    def linked(self, execution_id: int, kind: int, type_name: str) -> list:
        ids = [e.artifact_id for e in self.events if e.execution_id == execution_id and e.type == kind]
        return [self.artifacts[i] for i in ids if i in self.artifacts and self.artifacts[i].type == type_name]

    def consumers(self, artifact_id: int, type_suffix: str) -> list:
        ids = {e.execution_id for e in self.events if e.artifact_id == artifact_id and e.type == INPUT}
        found = [self.executions[i] for i in ids if i in self.executions]
        return sorted((x for x in found if x.type.endswith(type_suffix)), key=lambda x: x.id)


# Cache hits and resolvers only re-use artifacts that their original makers
# already link; stopping the walk at them keeps a query's size independent of
# how many times the pipeline re-ran.
_REPEATS = "last_known_state = CACHED OR type LIKE '%Resolver'"


def subgraph(store, artifact_id: int, direction: int, hops: int = 12) -> Graph:
    options = _OPTIONS(max_num_hops=hops, direction=direction)
    options.starting_artifacts.filter_query = f"id = {int(artifact_id)}"
    options.ending_executions.filter_query = _REPEATS
    return Graph(store.get_lineage_subgraph(options))


def _prop(message, key: str):
    value = message.custom_properties.get(key) or message.properties.get(key)
    if value is None:
        return None
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def _ref(artifact) -> dict | None:
    return {"id": artifact.id, "uri": artifact.uri} if artifact else None


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
    releases = [
        r for r in store.get_artifacts_by_type("TollgateRelease") if _prop(r, "released") == 1
    ]
    if spec != "serving":
        releases = [r for r in releases if _prop(r, "serving_path") == spec.rstrip("/")]
    if not releases:
        raise TollgateError(
            f"no released model matches {spec!r}; use a model id, 'latest', 'serving', or a pushed path"
        )
    release = max(releases, key=lambda r: r.id)
    upstream = subgraph(store, release.id, _OPTIONS.UPSTREAM, hops=4)
    models = [a for a in upstream.artifacts.values() if a.type == "Model"]
    return max(models, key=lambda m: m.id).id


def _data(graph: Graph, examples) -> dict:
    example_gen = graph.producer(examples.id) if examples else None
    if example_gen is None:
        return {}
    config = json.loads(_prop(example_gen, "input_config") or "{}")
    return {
        "examples": _ref(examples),
        "input_base": _prop(example_gen, "input_base"),
        "input_patterns": [s.get("pattern") for s in config.get("splits", [])],
        "input_fingerprint": _prop(example_gen, "input_fingerprint"),
        "span": _prop(examples, "span"),
        "version": _prop(examples, "version"),
        "produced_at": iso(example_gen.create_time_since_epoch),
    }


def _rows(statistics) -> dict:
    """Examples per split, as StatisticsGen counted them."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    rows = {}
    for path in sorted(glob.glob(os.path.join(statistics.uri, "Split-*", "FeatureStats.pb"))):
        stats = statistics_pb2.DatasetFeatureStatisticsList()
        with open(path, "rb") as handle:
            stats.ParseFromString(handle.read())
        split = os.path.basename(os.path.dirname(path))[len("Split-"):]
        rows[split] = sum(d.num_examples for d in stats.datasets)
    return rows


def _trainer(trainer) -> dict:
    custom = json.loads(_prop(trainer, "custom_config") or "{}")
    return {
        "execution_id": trainer.id,
        "run_fn": _prop(trainer, "run_fn"),
        "train_args": json.loads(_prop(trainer, "train_args") or "{}"),
        "eval_args": json.loads(_prop(trainer, "eval_args") or "{}"),
        "hyperparameters": {k: v for k, v in custom.items() if k != "code_version"},
        "code_version": custom.get("code_version"),
        "trained_at": iso(trainer.create_time_since_epoch),
    }


def _anomalies(store, statistics) -> dict | None:
    if statistics is None:
        return None
    downstream = subgraph(store, statistics.id, _OPTIONS.DOWNSTREAM, hops=2)
    found = [a for a in downstream.artifacts.values() if a.type == "ExampleAnomalies"]
    if not found:
        return None
    anomalies = min(found, key=lambda a: a.id)
    return {**_ref(anomalies), "found": read_anomalies(anomalies.uri)}


def _evaluation(graph: Graph, model_id: int) -> dict | None:
    evaluators = [e for e in graph.consumers(model_id, "Evaluator") if e.last_known_state != e.CACHED]
    if not evaluators:
        return None
    evaluator = evaluators[0]
    evaluation = next(iter(graph.linked(evaluator.id, OUTPUT, "ModelEvaluation")), None)
    blessing = next(iter(graph.linked(evaluator.id, OUTPUT, "ModelBlessing")), None)
    baseline_ids = [
        e.artifact_id for e in graph.events
        if e.execution_id == evaluator.id and e.type == INPUT and e.path.steps
        and e.path.steps[0].key == "baseline_model"
    ]
    return {
        "evaluation": _ref(evaluation),
        "blessed": bool(_prop(blessing, "blessed")) if blessing else None,
        "baseline_model_id": baseline_ids[0] if baseline_ids else None,
        "eval_config": json.loads(_prop(evaluator, "eval_config") or "{}"),
        "evaluated_at": iso(evaluator.create_time_since_epoch),
    }


def _releases(graph: Graph) -> list[dict]:
    found = [
        a for a in graph.artifacts.values()
        if a.type == "TollgateRelease" and _prop(a, "released") == 1
    ]
    return [
        {
            "serving_path": _prop(r, "serving_path"),
            "version": _prop(r, "version"),
            "released_at": iso(r.create_time_since_epoch),
        }
        for r in sorted(found, key=lambda r: r.id)
    ]


def releases_of(store, model_id: int) -> list[dict]:
    """Where the model was released, oldest first."""
    return _releases(subgraph(store, model_id, _OPTIONS.DOWNSTREAM))


def model_lineage(store, model_id: int) -> dict:
    """Everything MLMD knows about one model, as plain JSON-ready data."""
    [model] = store.get_artifacts_by_id([model_id])
    upstream = subgraph(store, model_id, _OPTIONS.UPSTREAM)
    downstream = subgraph(store, model_id, _OPTIONS.DOWNSTREAM)
    trainer = upstream.producer(model_id)
    if trainer is None:
        raise TollgateError(f"model {model_id} has no recorded producer; is this a Tollgate store?")
    examples = next(iter(upstream.linked(trainer.id, INPUT, "Examples")), None)
    schema = next(iter(upstream.linked(trainer.id, INPUT, "Schema")), None)
    schema_gen = upstream.producer(schema.id) if schema else None
    statistics = (
        next(iter(upstream.linked(schema_gen.id, INPUT, "ExampleStatistics")), None)
        if schema_gen else None
    )
    run = [c.name for c in store.get_contexts_by_execution(trainer.id) if c.type == "pipeline_run"]
    data = _data(upstream, examples)
    if statistics is not None:
        data["rows"] = _rows(statistics)
    return {
        "model": {"id": model.id, "uri": model.uri},
        "run_id": run[0] if run else None,
        "data": data,
        "statistics": _ref(statistics),
        "anomalies": _anomalies(store, statistics),
        "schema": _ref(schema),
        "transform_graph": _ref(next(iter(upstream.linked(trainer.id, INPUT, "TransformGraph")), None)),
        "trainer": _trainer(trainer),
        "evaluation": _evaluation(downstream, model_id),
        "signoff": records.signoff_state(store, model_id),
        "releases": _releases(downstream),
    }


def audit(store, since: str | None = None) -> list[dict]:
    """Every release in order: model, data, metrics, approver, when."""
    entries = []
    for release in sorted(store.get_artifacts_by_type("TollgateRelease"), key=lambda r: r.id):
        if _prop(release, "released") != 1:
            continue
        released_at = iso(release.create_time_since_epoch)
        if since and released_at < since:
            continue
        upstream = subgraph(store, release.id, _OPTIONS.UPSTREAM, hops=4)
        model = max((a for a in upstream.artifacts.values() if a.type == "Model"), key=lambda m: m.id)
        lineage = model_lineage(store, model.id)
        signoff = lineage["signoff"] or {}
        entries.append({
            "released_at": released_at,
            "serving_path": _prop(release, "serving_path"),
            "model_id": model.id,
            "run_id": lineage["run_id"],
            "data": lineage["data"].get("input_base"),
            "input_fingerprint": lineage["data"].get("input_fingerprint"),
            "metrics": (signoff.get("eval_summary") or {}).get("overall"),
            "approver": signoff.get("approver"),
            "decided_at": signoff.get("decided_at"),
        })
    return entries


def render_text(lineage: dict) -> str:
    """The lineage for people: one fact per line, in the order things happened."""
    data, trainer = lineage["data"], lineage["trainer"]
    evaluation, signoff = lineage["evaluation"] or {}, lineage["signoff"] or {}
    overall = (signoff.get("eval_summary") or {}).get("overall") or {}
    anomalies = (lineage["anomalies"] or {}).get("found")
    lines = [
        f"model        {lineage['model']['id']}  {lineage['model']['uri']}",
        f"run          {lineage['run_id']}",
        f"data         {data.get('input_base')} ({', '.join(data.get('input_patterns') or [])})",
        f"fingerprint  {data.get('input_fingerprint')}",
        f"rows         {data.get('rows')}",
        f"examples     {(data.get('examples') or {}).get('uri')}",
        f"statistics   {(lineage['statistics'] or {}).get('uri')}",
        f"anomalies    {'none' if anomalies == [] else anomalies}",
        f"schema       {(lineage['schema'] or {}).get('uri')}",
        f"transform    {(lineage['transform_graph'] or {}).get('uri')}",
        f"trainer      {trainer['run_fn']} {trainer['train_args']} {trainer['hyperparameters']}",
        f"code         {trainer['code_version']}",
        f"evaluation   blessed={evaluation.get('blessed')} baseline model={evaluation.get('baseline_model_id')}"
        + (f" auc={overall['auc']:.4f}" if "auc" in overall else ""),
        f"sign-off     {signoff.get('status') or 'none'}"
        + (f" by {signoff['approver']} at {signoff['decided_at']}" if signoff.get("approver") else ""),
    ]
    lines += [f"released     {r['serving_path']} at {r['released_at']}" for r in lineage["releases"]]
    return "\n".join(lines)


def _examples_for(store, data: str) -> list:
    """Examples made from `data`: a span number, or a CSV file or folder path."""
    examples = store.get_artifacts_by_type("Examples")
    if data.isdigit():
        return [e for e in examples if _prop(e, "span") == int(data)]
    wanted = os.path.abspath(data)
    found = []
    for artifact in examples:
        maker = subgraph(store, artifact.id, _OPTIONS.UPSTREAM, hops=1).producer(artifact.id)
        if maker is None or not maker.type.endswith("ExampleGen"):
            continue
        base = _prop(maker, "input_base") or ""
        patterns = [s.get("pattern") for s in json.loads(_prop(maker, "input_config") or "{}").get("splits", [])]
        if wanted == base or any(fnmatch.fnmatch(wanted, os.path.join(base, p)) for p in patterns):
            found.append(artifact)
    return found


def models_trained_on(store, data: str) -> list[dict]:
    """Every model trained on the data, and whether it was released."""
    models = {}
    for examples in _examples_for(store, data):
        downstream = subgraph(store, examples.id, _OPTIONS.DOWNSTREAM, hops=2)
        for trainer in downstream.consumers(examples.id, "Trainer"):
            for model in downstream.linked(trainer.id, OUTPUT, "Model"):
                models.setdefault(model.id, examples.id)
    entries = []
    for model_id, examples_id in sorted(models.items()):
        releases = releases_of(store, model_id)
        entries.append({
            "model_id": model_id,
            "examples_id": examples_id,
            "released": bool(releases),
            "releases": releases,
            "signoff": (records.signoff_state(store, model_id) or {}).get("status"),
        })
    return entries
