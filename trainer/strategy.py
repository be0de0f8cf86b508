"""Picks a tf.distribute strategy from the hardware found at run time.

The same trainer runs on a laptop, on a Kubeflow pod with several GPUs, and
on a TPU slice; the pipeline only asks for the accelerator, so the code must
see what it got.
"""

import glob
import os

import tensorflow as tf
from absl import logging

# Set on TPU VMs and GKE TPU pods; without them, asking the TPU resolver
# means waiting on a metadata server that is not there.
_TPU_HINTS = ("TPU_NAME", "KUBE_GOOGLE_CLOUD_TPU_ENDPOINTS", "TPU_WORKER_ID")


def _tpu_strategy():
    if not (any(os.environ.get(k) for k in _TPU_HINTS) or glob.glob("/dev/accel*") or glob.glob("/dev/vfio/*")):
        return None
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        logging.warning("a TPU was hinted at but did not answer: %s", error)
        return None
    return tf.distribute.TPUStrategy(resolver)


def choose_strategy() -> tuple[tf.distribute.Strategy, str]:
    """(strategy, why): TPUStrategy, MirroredStrategy for several GPUs, else the default."""
    tpu = _tpu_strategy()
    if tpu is not None:
        choice = (tpu, f"TPUStrategy over {tpu.num_replicas_in_sync} TPU cores")
    else:
        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) > 1:
            mirrored = tf.distribute.MirroredStrategy([g.name for g in gpus])
            choice = (mirrored, f"MirroredStrategy over {len(gpus)} GPUs")
        else:
            device = "one GPU" if gpus else "CPU"
            choice = (tf.distribute.get_strategy(), f"default strategy on {device}")
    logging.info("distribution: %s", choice[1])
    return choice
