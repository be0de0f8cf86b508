"""CsvExampleGen's contract, read through Arrow instead of row by row in Beam.

Plugged into TFX's FileBasedExampleGen with `custom_executor_spec`: same
inputs, same Examples artifact, same files (gzipped TFRecords under
Split-<name>/), same typing and the same split for every row (see
`columns` and `encoding`). It runs no Beam pipeline: Arrow's reader and
the encoder are native, and a Python DoFn per row is what made the stock
executor slow. It writes each split in shards of about SHARD_ROWS rows, so
the Beam steps after it can read in parallel, and
records on the artifact how many rows it read into each split: the
ExampleCountGate holds the files to that count.

It supports what Tollgate's pipeline asks for: one input split, hashed
into output splits.
"""

from __future__ import annotations

import json
import logging
import math
import os

import numpy as np
import pyarrow as pa
import tensorflow as tf
from tfx.components.example_gen import utils
from tfx.components.example_gen.csv_example_gen import executor as stock
from tfx.components.util import examples_utils
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs as specs
from tfx.utils import proto_utils

from components.arrow_example_gen import columns, encoding

ROWS_READ = "rows_read"  # custom property: {"split": rows} as JSON
SHARD_ROWS = 100_000
_FILE = "data_tfrecord-{:05d}-of-{:05d}.gz"


def _configs(exec_properties) -> tuple[example_gen_pb2.Input, example_gen_pb2.Output]:
    input_config, output_config = example_gen_pb2.Input(), example_gen_pb2.Output()
    proto_utils.json_to_proto(exec_properties[specs.INPUT_CONFIG_KEY], input_config)
    proto_utils.json_to_proto(exec_properties[specs.OUTPUT_CONFIG_KEY], output_config)
    return input_config, output_config


def _buckets(input_config, output_config) -> list[int]:
    splits = output_config.split_config
    if len(input_config.splits) != 1 or not splits.splits or splits.partition_feature_name:
        raise ValueError("Tollgate's ExampleGen hashes one input split into output splits; "
                         "for other split configurations use TFX's CsvExampleGen")
    return list(np.cumsum([split.hash_buckets for split in splits.splits]))


class CsvInput:
    """The files matching a pattern: their shared header, their rows' count and
    column types (one streaming pass), and then their rows as tf.Examples."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.files = sorted(fileio.glob(pattern))
        if not self.files:
            raise RuntimeError(f"Split pattern {pattern} does not match any files.")
        headers = []
        for path in self.files:
            with fileio.open(path, "rb") as handle:
                headers.append(columns.header(handle))
        if any(header != headers[0] for header in headers):
            raise RuntimeError(f"Files in same split {pattern} have different header.")
        self.names = headers[0]
        self.kinds = dict.fromkeys(self.names, columns.UNKNOWN)
        self.rows = 0
        for batch in self._batches():
            self.rows += batch.num_rows
            for name in self.names:
                self.kinds[name] = max(self.kinds[name], columns.column_type(batch.column(name)))

    def _batches(self):
        for path in self.files:
            # Arrow reads local files itself; others (gs://, s3://) arrive through TFX's filesystems.
            if "://" in path:
                with fileio.open(path, "rb") as handle:
                    path = pa.BufferReader(handle.read())
            yield from columns.batches(path, self.names)

    def examples(self):
        """The rows as serialized tf.Examples, a block at a time."""
        order = encoding.deterministic_order(self.names)
        for batch in self._batches():
            entries = []
            for name in order:
                kind = self.kinds[name]
                entries.append(encoding.map_entries(name, kind, *columns.typed(batch.column(name), kind)))
            yield encoding.encode(entries, batch.num_rows)


class _SplitWriter:
    """One split's shards; rows go round the shards in turn."""

    def __init__(self, folder: str, expected_rows: int):
        fileio.makedirs(folder)
        count = max(1, math.ceil(expected_rows / SHARD_ROWS))
        # Level 1 writes twice as fast as the default and reads the same.
        options = tf.io.TFRecordOptions(compression_type="GZIP", compression_level=1)
        self._shards = [tf.io.TFRecordWriter(os.path.join(folder, _FILE.format(i, count)), options)
                        for i in range(count)]
        self.rows = 0

    def write(self, records) -> None:
        shards = self._shards
        for index, record in enumerate(records, self.rows):
            shards[index % len(shards)].write(record)
        self.rows += len(records)

    def close(self) -> None:
        for shard in self._shards:
            shard.close()


class Executor(stock.Executor):
    """CsvExampleGen's executor, but for how it reads and writes."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        input_config, output_config = _configs(exec_properties)
        buckets = _buckets(input_config, output_config)
        [artifact] = output_dict[specs.EXAMPLES_KEY]
        names = utils.generate_output_split_names(input_config, output_config)
        artifact.split_names = artifact_utils.encode_split_names(names)
        data = CsvInput(os.path.join(exec_properties[specs.INPUT_BASE_KEY], input_config.splits[0].pattern))
        rows = _write(data, artifact.uri, names, buckets)
        artifact.set_string_custom_property(ROWS_READ, json.dumps(rows))
        examples_utils.set_payload_format(
            artifact, exec_properties.get(specs.OUTPUT_DATA_FORMAT_KEY, example_gen_pb2.FORMAT_TF_EXAMPLE))
        examples_utils.set_file_format(artifact, "tfrecords_gzip")


def _write(data: CsvInput, uri: str, names: list[str], buckets: list[int]) -> dict[str, int]:
    """Writes each row to its split; the rows each split received."""
    shares = np.diff([0, *buckets]) / buckets[-1]
    writers = [_SplitWriter(os.path.join(uri, f"Split-{name}"), int(data.rows * share))
               for name, share in zip(names, shares)]
    for batch in _progress(data.examples(), data.rows):
        records = batch.to_pylist()
        split = encoding.split_of(records, buckets)
        for index, writer in enumerate(writers):
            writer.write([records[i] for i in np.flatnonzero(split == index)])
    for writer in writers:
        writer.close()
    if sum(writer.rows for writer in writers) != data.rows:
        raise RuntimeError(f"the files matching {data.pattern} changed while they were read; run again")
    return {name: writer.rows for name, writer in zip(names, writers)}


def _progress(batches, total: int):
    done = 0
    for batch in batches:
        done += len(batch)
        logging.info("ExampleGen: %d of %d rows", done, total)
        yield batch
