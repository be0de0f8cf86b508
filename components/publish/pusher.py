"""TFX's Pusher, run one at a time per serving folder.

The standard Pusher names its copy after the current second and, when a
folder of that name exists, records it without copying. Two releases
pushing in the same second would share one staging folder, and a model
could be published with the other's files. This executor holds the
serving folder's lock while it copies and waits for a second no copy is
named after; the copying itself is the standard executor's.
"""

import os
import time

from tfx.components.pusher import executor as standard
from tfx.components.pusher.component import Pusher as StandardPusher
from tfx.dsl.components.base import executor_spec
from tfx.proto import pusher_pb2
from tfx.utils import proto_utils

from components.publish.executor import one_publisher


class Executor(standard.Executor):
    def Do(self, input_dict, output_dict, exec_properties) -> None:
        destination = pusher_pb2.PushDestination()
        proto_utils.json_to_proto(exec_properties["push_destination"], destination)
        staging = destination.filesystem.base_directory
        with one_publisher(os.path.dirname(staging)):
            while os.path.exists(os.path.join(staging, str(int(time.time())))):
                time.sleep(0.05)
            super().Do(input_dict, output_dict, exec_properties)


class Pusher(StandardPusher):
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)
