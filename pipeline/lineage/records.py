"""Typed answers to lineage questions. `to_json()` gives the stable JSON
documented in the README; scripts rely on its field names, so only add."""

from __future__ import annotations

import dataclasses

from components.metrics import AUC, Metric, configured_metric


class Record:
    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Ref(Record):
    id: int
    uri: str


@dataclasses.dataclass(frozen=True)
class DataInput(Record):
    examples: Ref | None = None
    input_base: str | None = None
    input_patterns: list = dataclasses.field(default_factory=list)
    input_fingerprint: str | None = None
    span: int | None = None
    version: int | None = None
    produced_at: str | None = None
    rows: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Anomalies(Record):
    id: int
    uri: str
    found: list


@dataclasses.dataclass(frozen=True)
class Drift(Record):
    id: int
    uri: str
    found: list
    compared_with: int | None  # the previous span's statistics, None for the first span
    previous_span: int | None
    measurements: list  # every comparison: split, feature, measure, value, threshold


@dataclasses.dataclass(frozen=True)
class TrainerRun(Record):
    execution_id: int
    run_fn: str | None
    train_args: dict
    eval_args: dict
    hyperparameters: dict
    code_version: str | None
    trained_at: str
    base_model: Ref | None = None  # the released model a warm start began from


@dataclasses.dataclass(frozen=True)
class Threshold(Record):
    metric: str
    slices: list  # [] means overall
    lower_bound: float | None = None
    upper_bound: float | None = None
    change_absolute: float | None = None
    change_direction: str | None = None


@dataclasses.dataclass(frozen=True)
class SliceResult(Record):
    slice: str  # "overall", or "feature=value"
    metrics: dict


@dataclasses.dataclass(frozen=True)
class Evaluation(Record):
    evaluation: Ref | None
    blessed: bool | None
    baseline_model_id: int | None
    thresholds: list[Threshold]
    slices: list[SliceResult]
    eval_config: dict
    evaluated_at: str
    # The baseline's metrics on the same slices ([] for the first model).
    baseline_slices: list[SliceResult] = dataclasses.field(default_factory=list)

    @property
    def metric(self) -> Metric:
        """What the slices are ranked by: the first metric the config named."""
        return configured_metric(self.eval_config)


@dataclasses.dataclass(frozen=True)
class Release(Record):
    serving_path: str
    version: str
    released_at: str
    # The runtimes released beside each other: "saved_model,tflite" (empty in
    # stores written before the serving check).
    targets: str = ""


@dataclasses.dataclass(frozen=True)
class VectorIndex(Record):
    uri: str
    collection: str
    alias: str
    count: int
    loaded_at: str


@dataclasses.dataclass(frozen=True)
class EmbeddingExport(Record):
    embeddings: Ref
    count: int | None
    dimension: int | None
    split: str | None
    encoder: str | None
    indexes: list[VectorIndex]  # where a release loaded them, oldest first


@dataclasses.dataclass(frozen=True)
class ModelLineage(Record):
    model: Ref
    run_id: str | None
    data: DataInput
    statistics: Ref | None
    anomalies: Anomalies | None
    schema: Ref | None
    transform_graph: Ref | None
    trainer: TrainerRun
    evaluation: Evaluation | None
    signoff: dict | None  # as in `tollgate run --json`
    releases: list[Release]
    embeddings: EmbeddingExport | None
    execution_ids: list[int]  # every execution in this lineage, oldest first
    drift: Drift | None = None  # this span against the previous one
    # The serving check's figures per target, host and budgets (see
    # components/serving_check); None when the model was not checked.
    serving: dict | None = None

    @property
    def metric(self) -> Metric:
        return self.evaluation.metric if self.evaluation else AUC

    @property
    def overall(self) -> dict:
        slices = self.evaluation.slices if self.evaluation else []
        return next((s.metrics for s in slices if s.slice == "overall"), {})


@dataclasses.dataclass(frozen=True)
class TrainedOn(Record):
    model_id: int
    examples_id: int
    released: bool
    releases: list[Release]
    signoff: str | None


@dataclasses.dataclass(frozen=True)
class AuditEntry(Record):
    released_at: str
    serving_path: str
    model_id: int
    run_id: str | None
    data: str | None
    input_fingerprint: str | None
    metrics: dict | None
    approver: str | None
    decided_at: str | None
    span: int | None = None
    metric: str = AUC.name  # what `metrics` was ranked by (see components.metrics)
    proof: str | None = None  # "verified: ..." or "NOT VERIFIED: <the check that failed>"
