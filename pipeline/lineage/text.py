"""Lineage for people: one fact per line, in the order things happened."""

from __future__ import annotations

from pipeline.lineage import records as rec
from pipeline.lineage import serving


def render_text(lineage: rec.ModelLineage) -> str:
    """The lineage for people: one fact per line, in the order things happened."""
    data, trainer, evaluation = lineage.data, lineage.trainer, lineage.evaluation
    signoff = lineage.signoff or {}
    anomalies = lineage.anomalies.found if lineage.anomalies else None
    uri = lambda ref: ref.uri if ref else None  # noqa: E731
    metric = lineage.metric
    value = lineage.overall.get(metric.key)
    lines = [
        f"model        {lineage.model.id}  {lineage.model.uri}",
        f"run          {lineage.run_id}",
        f"data         {data.input_base} ({', '.join(data.input_patterns)})"
        + (f" span {data.span}" if data.span is not None else ""),
        f"fingerprint  {data.input_fingerprint}",
        f"rows         {data.rows}",
        f"examples     {uri(data.examples)}",
        f"statistics   {uri(lineage.statistics)}",
        f"anomalies    {'none' if anomalies == [] else anomalies}",
        f"schema       {uri(lineage.schema)}",
        f"transform    {uri(lineage.transform_graph)}",
        f"drift        {_drift_text(lineage.drift)}",
        f"trainer      {trainer.run_fn} {trainer.train_args} {trainer.hyperparameters}",
        f"warm start   {f'from model {trainer.base_model.id}' if trainer.base_model else 'no'}",
        f"code         {trainer.code_version}",
    ]
    if evaluation:
        lines.append(
            f"evaluation   blessed={evaluation.blessed} baseline model={evaluation.baseline_model_id}"
            + (f" {metric.name}={value:.4f}" if value is not None else "")
        )
        lines += [f"threshold    {threshold_text(t)}" for t in evaluation.thresholds]
        lines += [f"slice        {s.slice}: {metrics_text(s.metrics)}" for s in evaluation.slices]
    lines += [f"serving      {line}" for line in serving.lines(lineage.serving)]
    lines.append(
        f"sign-off     {signoff.get('status') or 'none'}"
        + (f" by {signoff['approver']} at {signoff['decided_at']}" if signoff.get("approver") else "")
    )
    if signoff.get("proof"):
        lines.append(f"proof        {signoff['proof']}")
    lines += [f"released     {r.serving_path} at {r.released_at} ({r.targets or 'saved_model'})"
              for r in lineage.releases]
    if lineage.embeddings:
        export = lineage.embeddings
        lines.append(f"embeddings   {export.count} x {export.dimension}-d ({export.encoder}) {export.embeddings.uri}")
        lines += [f"index        {i.collection} as {i.alias} in {i.uri} at {i.loaded_at}" for i in export.indexes]
    return "\n".join(lines)


def _drift_text(drift: rec.Drift | None) -> str:
    if drift is None:
        return "not checked"
    if drift.compared_with is None:
        return "no earlier span to compare with"
    return f"against span {drift.previous_span}: {drift.found or 'none'}"


def threshold_text(threshold: rec.Threshold) -> str:
    parts = [threshold.metric, "on " + (str(threshold.slices) if threshold.slices else "overall")]
    if threshold.lower_bound is not None:
        parts.append(f">= {threshold.lower_bound}")
    if threshold.upper_bound is not None:
        parts.append(f"<= {threshold.upper_bound}")
    if threshold.change_absolute is not None:
        sign = "<=" if threshold.change_direction == "LOWER_IS_BETTER" else ">="
        parts.append(f"change vs baseline {sign} {threshold.change_absolute}")
    return " ".join(parts)


def metrics_text(metrics: dict) -> str:
    return ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())
