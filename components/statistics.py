"""Reads StatisticsGen's output: protobuf only, so lineage and reports stay light."""

from __future__ import annotations

import glob
import os

from tensorflow_metadata.proto.v0 import statistics_pb2


def read_statistics(uri: str) -> dict[str, statistics_pb2.DatasetFeatureStatisticsList]:
    """The statistics artifact's splits, by name."""
    found = {}
    for path in sorted(glob.glob(os.path.join(uri, "Split-*", "FeatureStats.pb"))):
        stats = statistics_pb2.DatasetFeatureStatisticsList()
        with open(path, "rb") as handle:
            stats.ParseFromString(handle.read())
        found[os.path.basename(os.path.dirname(path))[len("Split-"):]] = stats
    return found
