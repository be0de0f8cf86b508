"""The Evaluator's executor: TFX's contract, summing a batch at a time.

TFX's Evaluator takes no `custom_executor_spec` argument, so the pipeline
sets this class on the component's `executor_spec`: the node stays TFX's
Evaluator in MLMD and in Kubeflow. The inputs, outputs, files and blessing
are the stock Evaluator's; only the metric sums are taken a batch at a time
(evaluator.py). Where the config needs what that path lacks
(evaluator.unsupported), or the component was given a module of its own,
the stock executor runs, and the log says why.
"""

from __future__ import annotations

import os

import apache_beam as beam
import tensorflow_model_analysis as tfma
from absl import logging
from tfx.components.evaluator import constants
from tfx.components.evaluator import executor as stock
from tfx.components.util import tfxio_utils
from tfx.types import artifact_utils
from tfx.types import standard_component_specs as specs
from tfx.utils import io_utils, json_utils, path_utils, proto_utils
from tfx_bsl.tfxio import tensor_adapter

from components.batch_evaluator.evaluator import batch_extractors_and_evaluator, unsupported

# Rows per batch. TFMA calls a serving signature with the batch as a
# positional tensor; TensorFlow first tries it as keywords, fails, and
# prints the whole batch into an error it then drops. Past NumPy's print
# threshold (1,000 elements) that print is a summary: at 333k rows, 17 s of
# the Evaluator's 56 went to it with TFXIO's default batches of under 1,000.
BATCH_ROWS = 4096


def _eval_config(exec_properties: dict, has_baseline: bool) -> tfma.EvalConfig | None:
    text = exec_properties.get(specs.EVAL_CONFIG_KEY)
    if not text:
        return None
    config = proto_utils.json_to_proto(text, tfma.EvalConfig())
    # As the stock executor: with no baseline yet, change thresholds pass (rubber stamp).
    config = tfma.utils.update_eval_config_with_defaults(config, has_baseline=has_baseline, rubber_stamp=True)
    tfma.utils.verify_eval_config(config)
    return config


def _stock_reason(config: tfma.EvalConfig | None, input_dict: dict, exec_properties: dict) -> str | None:
    if config is None:
        return "a feature_slicing_spec instead of an eval_config"
    if not input_dict.get(specs.MODEL_KEY):
        return "predictions read from the examples, with no model"
    if exec_properties.get(specs.MODULE_FILE_KEY) or exec_properties.get(specs.MODULE_PATH_KEY):
        return "a module of its own"
    if len(config.model_specs) > 2 or any(tfma.utils.get_model_type(s) == tfma.TFMA_EVAL for s in config.model_specs):
        return "an EvalSavedModel or more than two models"
    return unsupported(config)


def _schema(input_dict: dict):
    if specs.SCHEMA_KEY not in input_dict:
        return None
    uri = artifact_utils.get_single_uri(input_dict[specs.SCHEMA_KEY])
    return io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(uri))


class Executor(stock.Executor):
    def Do(self, input_dict: dict, output_dict: dict, exec_properties: dict) -> None:
        config = _eval_config(exec_properties, has_baseline=bool(input_dict.get(specs.BASELINE_MODEL_KEY)))
        reason = _stock_reason(config, input_dict, exec_properties)
        if reason:
            logging.info("Evaluator: TFMA's own evaluator runs, for %s", reason)
            return super().Do(input_dict, output_dict, exec_properties)
        logging.info("Evaluator: metrics summed a batch at a time")
        output_uri = artifact_utils.get_single_uri(output_dict[specs.EVALUATION_KEY])
        models = [self._model(spec, input_dict, config) for spec in config.model_specs]
        with self._make_beam_pipeline() as pipeline:
            examples, adapter = self._examples(pipeline, input_dict, exec_properties)
            extractors, evaluator = batch_extractors_and_evaluator(config, models, adapter)
            _ = examples | "ExtractEvaluateAndWriteResults" >> tfma.ExtractEvaluateAndWriteResults(
                eval_shared_model=models[0] if len(models) == 1 else models, eval_config=config,
                extractors=extractors, evaluators=[evaluator], output_path=output_uri, tensor_adapter_config=adapter)
        # Like the stock executor: no thresholds, no verdict, so nothing is blessed by accident.
        if tfma.metrics.metric_thresholds_from_metrics_specs(config.metrics_specs, eval_config=config):
            self._bless(input_dict, output_dict, exec_properties, output_uri)

    @staticmethod
    def _model(spec, input_dict: dict, config: tfma.EvalConfig):
        key = specs.BASELINE_MODEL_KEY if spec.is_baseline else specs.MODEL_KEY
        artifact = artifact_utils.get_single_instance(input_dict[key])
        path = path_utils.serving_model_path(artifact.uri, path_utils.is_old_model_artifact(artifact))
        return tfma.default_eval_shared_model(eval_saved_model_path=path, model_name=spec.name, eval_config=config)

    @staticmethod
    def _examples(pipeline, input_dict: dict, exec_properties: dict):
        schema = _schema(input_dict)
        factory = tfxio_utils.get_tfxio_factory_from_artifact(
            examples=input_dict[specs.EXAMPLES_KEY], telemetry_descriptors=["Evaluator"], schema=schema,
            raw_record_column_name=tfma.constants.ARROW_INPUT_COLUMN)
        splits = json_utils.loads(exec_properties.get(specs.EXAMPLE_SPLITS_KEY, "null")) or ["eval"]
        sources = []
        for split in splits:
            for index, uri in enumerate(artifact_utils.get_split_uris(input_dict[specs.EXAMPLES_KEY], split)):
                tfxio = factory(io_utils.all_files_pattern(uri))
                read = tfxio.BeamSource(batch_size=BATCH_ROWS)
                sources.append(pipeline | f"ReadFromTFRecordToArrow[{split}][{index}]" >> read)
        adapter = None
        if schema is not None:
            adapter = tensor_adapter.TensorAdapterConfig(arrow_schema=tfxio.ArrowSchema(),
                                                         tensor_representations=tfxio.TensorRepresentations())
        return sources | "FlattenExamples" >> beam.Flatten(), adapter

    @staticmethod
    def _bless(input_dict: dict, output_dict: dict, exec_properties: dict, output_uri: str) -> None:
        blessing = artifact_utils.get_single_instance(output_dict[specs.BLESSING_KEY])
        model = input_dict[specs.MODEL_KEY][0]
        blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY, model.uri)
        blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY, model.id)
        if input_dict.get(specs.BASELINE_MODEL_KEY):
            baseline = input_dict[specs.BASELINE_MODEL_KEY][0]
            blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY, baseline.uri)
            blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY, baseline.id)
        if "current_component_id" in exec_properties:
            blessing.set_string_custom_property("component_id", exec_properties["current_component_id"])
        blessed = tfma.load_validation_result(output_uri).validation_ok
        name = constants.BLESSED_FILE_NAME if blessed else constants.NOT_BLESSED_FILE_NAME
        io_utils.write_string_file(os.path.join(blessing.uri, name), "")
        blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY,
                                         constants.BLESSED_VALUE if blessed else constants.NOT_BLESSED_VALUE)
