"""ExampleCountGate: stops the run when ExampleGen's files lack a row it read.

Tollgate's ExampleGen records on its Examples how many CSV rows it read into
each split (components.arrow_example_gen). This gate counts the records
actually in each split's files, the ones every later step reads, and fails
the run, before statistics or training, when any split differs. A runner
that drops or repeats records on the way to disk is caught here, not in a
model blessed on part of the data.
"""

import json

from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils, standard_artifacts

from components.arrow_example_gen.executor import ROWS_READ
from components.example_count_gate.count import count_records


class ExamplesLostError(RuntimeError):
    """ExampleGen's files hold a different number of records than rows it read."""


def _split_line(name: str, written: int, read: int) -> str:
    return f"{name}: {written:,} of {read:,}"


def check_counts(read: dict[str, int], written: dict[str, int]) -> None:
    if read == written:
        return
    splits = "; ".join(_split_line(name, written.get(name, 0), read[name]) for name in read)
    raise ExamplesLostError(
        f"ExampleGen wrote {sum(written.values()):,} examples of the {sum(read.values()):,} CSV rows it read "
        f"({splits}); nothing was judged or trained: run again, and if it repeats, report it with the run's log"
    )


@component
def ExampleCountGate(examples: InputArtifact[standard_artifacts.Examples]) -> None:
    recorded = examples.get_string_custom_property(ROWS_READ)
    if not recorded:
        raise ExamplesLostError(
            "the Examples record no count of the CSV rows read; they must come from Tollgate's ExampleGen "
            "(components.arrow_example_gen)"
        )
    read = json.loads(recorded)
    names = artifact_utils.decode_split_names(examples.split_names)
    check_counts(read, {name: count_records(artifact_utils.get_split_uri([examples], name)) for name in names})
