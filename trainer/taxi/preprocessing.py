"""The Transform preprocessing_fn: raw taxi columns to model inputs.

Every transformation here is fixed (no tft analyzers), so Transform takes
its in-place path: it saves the graph without a Beam pass over the data.
On small data that pass is nearly all overhead; scale-free encodings
(log amounts, fixed coordinate offsets, hashed strings) lose nothing.
"""

import tensorflow as tf

from trainer.taxi import features


def _as_column(x: tf.Tensor | tf.SparseTensor, default) -> tf.Tensor:
    """A rank-1 dense tensor, missing cells filled with `default`."""
    if isinstance(x, tf.SparseTensor):
        shape = tf.stack([x.dense_shape[0], 1])
        x = tf.sparse.to_dense(
            tf.SparseTensor(x.indices, x.values, shape),
            default_value=tf.constant(default, dtype=x.dtype),
        )
    return tf.reshape(x, [-1])


def _as_float(x: tf.Tensor | tf.SparseTensor) -> tf.Tensor:
    if isinstance(x, tf.SparseTensor):
        x = tf.SparseTensor(x.indices, tf.cast(x.values, tf.float32), x.dense_shape)
    else:
        x = tf.cast(x, tf.float32)
    return _as_column(x, 0.0)


def big_tipper(fare: tf.Tensor, tips: tf.Tensor) -> tf.Tensor:
    """1 where the tip was more than BIG_TIP_SHARE of the fare, else 0."""
    return tf.cast(tips > fare * features.BIG_TIP_SHARE, tf.int64)


def preprocessing_fn(inputs: dict) -> dict:
    outputs = {}
    for key in features.AMOUNT_FEATURES:
        amount = tf.maximum(_as_float(inputs[key]), 0.0)
        outputs[features.transformed_name(key)] = tf.math.log1p(amount)
    for key, centre in features.COORDINATE_FEATURES.items():
        coordinate = _as_float(inputs[key])
        offset = tf.where(coordinate == 0.0, 0.0, (coordinate - centre) * 10.0)
        outputs[features.transformed_name(key)] = offset
    for key, size in features.CATEGORICAL_INT_FEATURES.items():
        ids = tf.cast(_as_float(inputs[key]), tf.int64)
        outputs[features.transformed_name(key)] = tf.clip_by_value(ids, 0, size - 1)
    for key, buckets in features.HASHED_FEATURES.items():
        column = _as_column(inputs[key], "")
        outputs[features.transformed_name(key)] = tf.strings.to_hash_bucket_fast(column, buckets)
    label = big_tipper(_as_float(inputs[features.FARE_KEY]), _as_float(inputs[features.TIPS_KEY]))
    outputs[features.transformed_name(features.LABEL_KEY)] = label
    return outputs
