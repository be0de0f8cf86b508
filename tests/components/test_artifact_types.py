"""Every custom type Tollgate writes is named once, in components/artifact_types.py."""

import re

from components import artifact_types
from components.embedding_exporter.component import Embeddings
from components.publish.component import Release
from components.signoff import records
from components.vector_index_pusher.component import VectorIndex

# KFP v2 accepts a custom artifact type only as "namespace.Name".
KFP_TYPE = r"[a-z][a-z0-9-_]{2,20}[.][A-Z][a-zA-Z0-9-_]{2,49}"


def test_the_artifact_classes_take_their_names_from_the_one_module():
    classes = {Release: artifact_types.RELEASE, Embeddings: artifact_types.EMBEDDINGS,
               VectorIndex: artifact_types.VECTOR_INDEX}
    for cls, name in classes.items():
        assert cls.TYPE_NAME == name
        assert re.fullmatch(KFP_TYPE, name), name


def test_the_sign_off_records_use_the_same_names():
    assert (records.REQUEST_TYPE, records.DECISION_TYPE) == (
        artifact_types.SIGNOFF_REQUEST, artifact_types.SIGNOFF_DECISION)
    assert (records.REQUEST_EXECUTION, records.DECIDE_EXECUTION) == (
        artifact_types.REQUEST_EXECUTION, artifact_types.DECIDE_EXECUTION)
