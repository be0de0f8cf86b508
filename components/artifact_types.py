"""Every MLMD type name that Tollgate itself writes, in one place.

Plain strings, so that lineage and audit queries can name them without
importing TFX. The artifact classes (`tollgate.*`) take their TYPE_NAME from
here; KFP v2 accepts custom artifact types only as "namespace.Name".
"""

RELEASE = "tollgate.Release"
EMBEDDINGS = "tollgate.Embeddings"
VECTOR_INDEX = "tollgate.VectorIndex"
SERVING_CHECK = "tollgate.ServingCheck"

# The sign-off audit trail is written straight to MLMD, not by TFX.
SIGNOFF_REQUEST = "TollgateSignOffRequest"
SIGNOFF_DECISION = "TollgateSignOffDecision"
REQUEST_EXECUTION = "TollgateRequestSignOff"
DECIDE_EXECUTION = "TollgateDecide"
# Publish's entry in the audit trail, beside TFX's own Release artifact.
RELEASE_RECORD = "TollgateReleaseRecord"
RELEASE_EXECUTION = "TollgateRelease"
