"""The serving signature without its parse step, for runtimes that can't parse tf.Examples.

The signature is frozen to one graph; a new function takes one array per
parsed column and feeds it where the parse step's outputs went. Examples
made from CSV rows hold at most one value per column, so a column and a
`<column>__present` flag carry exactly what the parse step would have made.
"""

from __future__ import annotations

import numpy as np

PRESENT = "__present"


def _frozen(saved_model: str, signature: str):
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    # Held while freezing: the signature's variables die with the loaded object.
    loaded = tf.saved_model.load(saved_model)
    frozen = convert_variables_to_constants_v2(loaded.signatures[signature])
    return frozen.graph.as_graph_def(), frozen.inputs[0].name, frozen.outputs[0].name


def _strings(graph_def, node_name: str) -> list[str]:
    from tensorflow.python.framework import tensor_util

    node = next(n for n in graph_def.node if n.name == node_name.split(":")[0])
    return [v.decode() for v in tensor_util.MakeNdarray(node.attr["value"].tensor).tolist()]


def _log1p_as_log(graph_def) -> None:
    """tf2onnx has no Log1p; log(1 + x) is the same to float precision here."""
    import tensorflow as tf

    for node in list(graph_def.node):
        if node.op != "Log1p":
            continue
        one = graph_def.node.add(name=f"{node.name}/one", op="Const")
        one.attr["dtype"].type = node.attr["T"].type
        one.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(1.0, tf.as_dtype(node.attr["T"].type)))
        plus = graph_def.node.add(name=f"{node.name}/plus_one", op="AddV2", input=[node.input[0], one.name])
        plus.attr["T"].CopyFrom(node.attr["T"])
        node.op = "Log"
        del node.input[:]
        node.input.append(plus.name)


def columns_function(saved_model: str, signature: str):
    """A tf.function over parsed columns that computes what the signature does; and its input spec."""
    import tensorflow as tf

    graph_def, examples_name, output_name = _frozen(saved_model, signature)
    parses = [n for n in graph_def.node if n.op == "ParseExampleV2"]
    if len(parses) != 1:
        raise ValueError(f"the {signature} signature must parse tf.Examples once; it has {len(parses)} parse steps")
    parse = parses[0]
    _log1p_as_log(graph_def)
    sparse, dense = _strings(graph_def, parse.input[2]), _strings(graph_def, parse.input[3])
    types = [tf.as_dtype(t) for t in [*parse.attr["sparse_types"].list.type, *parse.attr["Tdense"].list.type]]
    spec = {k: tf.TensorSpec([None], t, name=k) for k, t in zip(sparse + dense, types)}
    spec.update({k + PRESENT: tf.TensorSpec([None], tf.bool, name=k + PRESENT) for k in sparse})
    n = len(sparse)

    @tf.function(input_signature=[spec], autograph=False)
    def columns(feed):
        batch = tf.shape(feed[(sparse + dense)[0]], out_type=tf.int64)[0]
        mapped = {examples_name: tf.fill([batch], "")}
        for i, key in enumerate(sparse):
            rows = tf.where(feed[key + PRESENT])
            mapped[f"{parse.name}:{i}"] = tf.concat([rows, tf.zeros_like(rows)], 1)
            mapped[f"{parse.name}:{n + i}"] = tf.boolean_mask(feed[key], feed[key + PRESENT])
            mapped[f"{parse.name}:{2 * n + i}"] = tf.stack([batch, tf.constant(1, tf.int64)])
        for j, key in enumerate(dense):
            mapped[f"{parse.name}:{3 * n + j}"] = tf.reshape(feed[key], [-1, 1])
        (out,) = tf.graph_util.import_graph_def(graph_def, input_map=mapped, return_elements=[output_name])
        return {"outputs": out}

    return columns, spec


_NUMPY = {"tensor(string)": object, "tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(bool)": bool}


def session_spec(session) -> dict[str, tuple[type, bool]]:
    """Column -> (numpy type, may be missing), read from an ONNX session's inputs."""
    names = {i.name: _NUMPY[i.type] for i in session.get_inputs()}
    return {k: (t, k + PRESENT in names) for k, t in names.items() if not k.endswith(PRESENT)}


def to_columns(rows: list[bytes], spec: dict[str, tuple[type, bool]]) -> dict[str, np.ndarray]:
    """Serialized examples as the ONNX model's inputs (parsed with TensorFlow)."""
    import tensorflow as tf

    tf_type = {object: tf.string, np.float32: tf.float32, np.int64: tf.int64}
    features = {
        k: tf.io.VarLenFeature(tf_type[t]) if missing else tf.io.FixedLenFeature([1], tf_type[t])
        for k, (t, missing) in spec.items()
    }
    parsed = tf.io.parse_example(tf.constant(rows), features)
    feed = {}
    for key, (kind, missing) in spec.items():
        if not missing:
            feed[key] = parsed[key].numpy().reshape(-1).astype(kind)
            continue
        values = np.full(len(rows), b"" if kind is object else 0, dtype=kind)
        present = np.zeros(len(rows), dtype=bool)
        at = parsed[key].indices.numpy()[:, 0]
        values[at], present[at] = parsed[key].values.numpy(), True
        feed[key], feed[key + PRESENT] = values, present
    return feed
