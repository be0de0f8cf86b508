"""Reading a config: the dataclass defaults, the taxi example's file unless
a module is named, a TOML file, then overrides; each value checked against
its default's type, and the whole against what would only fail deep inside
a run. The types themselves are in pipeline/config.py.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import tomllib
import typing
from pathlib import Path
from typing import Any, Mapping

from components.metrics import METRICS
from pipeline.config import (BEAM_MODES, CONFIG_ENV, EXAMPLE_CONFIG, LATEST, PROBLEMS, TAXI_MODULE, KubeflowConfig,
                             ResourceConfig, ServingConfig, TollgateConfig)
from pipeline.errors import TollgateError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


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


def _ui_problems(ui) -> list[str]:
    problems = []
    if not 1 <= ui.port <= 65535:
        problems.append("ui.port must be a port number, 1 to 65535")
    if bool(ui.tls_cert) != bool(ui.tls_key):
        problems.append("ui.tls_cert and ui.tls_key go together")
    if ui.host not in LOOPBACK and not (ui.tls_cert or ui.user_header):
        problems.append(f"ui.host {ui.host} is reachable from other machines: set ui.tls_cert and ui.tls_key, "
                        "or ui.user_header behind Kubeflow's authentication")
    if ui.base_url and not ui.base_url.startswith(("http://", "https://")):
        problems.append("ui.base_url must start with http:// or https://")
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
    if config.signoff.keyring and config.runner == "local" and not config.keyring_path.is_file():
        problems.append(f"signoff.keyring {config.keyring_path} does not exist")
    if config.beam.direct_running_mode not in BEAM_MODES:
        problems.append(f"beam.direct_running_mode must be one of {', '.join(BEAM_MODES)}")
    if config.beam.direct_num_workers < 0 or config.beam.multi_processing_mb < 0:
        problems.append("beam.direct_num_workers and beam.multi_processing_mb may not be negative")
    if config.runner not in ("local", "kubeflow"):
        problems.append("runner must be 'local' or 'kubeflow'")
    problems += _resource_problems(config.kubeflow)
    problems += _serving_problems(config.serving)
    problems += _ui_problems(config.ui)
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
            signoff=dataclasses.replace(config.signoff, keyring=config.signoff.keyring and str(config.keyring_path)),
        )
        if config.model.is_file:
            config = dataclasses.replace(config, model=dataclasses.replace(
                config.model, module=str(Path(config.model.module).resolve())))
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def from_json(text: str, source: str) -> TollgateConfig:
    return validate(_build(TollgateConfig(), json.loads(text), "", source))
