"""Tollgate's custom TFX components. They never import pipeline/ or kubeflow/."""
