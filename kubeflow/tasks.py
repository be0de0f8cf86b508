"""The Kubeflow Pipelines tasks: Lightweight Python Components, one per kind of node.

KFP copies each function's source into the compiled spec and runs it in a
pod of the Tollgate image (or, under `kfp.local`, in a subprocess here), so
the bodies only hand over to the installed `kubeflow.node` and `kubeflow.ui`.
Every task takes the same inputs: its node's slice of the TFX IR, the run's
facts, and the store; the gates also write what the KFP UI shows.
"""

from kfp.dsl import HTML, ClassificationMetrics, Markdown, Metrics, Output


def tfx_node(node: str, run_id: str, job_name: str, store: str, data_root: str,
             triggered_by: str, command_prefix: str, release_command: str):
    from kubeflow.node import node_task

    node_task(node, run_id, job_name, store, data_root, triggered_by, command_prefix, release_command)


def data_gate_node(node: str, run_id: str, job_name: str, store: str, data_root: str,
                   triggered_by: str, command_prefix: str, release_command: str,
                   data_gate: Output[HTML], data_gate_counts: Output[Metrics]):
    from kubeflow import ui
    from kubeflow.node import node_task

    task = node_task(node, run_id, job_name, store, data_root, triggered_by, command_prefix, release_command)
    ui.data_gate(task, data_gate, data_gate_counts)


def evaluator_node(node: str, run_id: str, job_name: str, store: str, data_root: str,
                   triggered_by: str, command_prefix: str, release_command: str,
                   evaluation: Output[HTML], metrics: Output[Metrics], curves: Output[ClassificationMetrics]):
    from kubeflow import ui
    from kubeflow.node import node_task

    task = node_task(node, run_id, job_name, store, data_root, triggered_by, command_prefix, release_command)
    ui.evaluation(task, metrics, curves, evaluation)


def serving_check_node(node: str, run_id: str, job_name: str, store: str, data_root: str,
                       triggered_by: str, command_prefix: str, release_command: str,
                       serving: Output[Markdown], serving_figures: Output[Metrics]):
    from kubeflow import ui
    from kubeflow.node import node_task

    task = node_task(node, run_id, job_name, store, data_root, triggered_by, command_prefix, release_command)
    ui.serving_check(task, serving, serving_figures)


def signoff_node(node: str, run_id: str, job_name: str, store: str, data_root: str,
                 triggered_by: str, command_prefix: str, release_command: str, signoff: Output[Markdown]):
    from kubeflow import ui
    from kubeflow.node import node_task

    task = node_task(node, run_id, job_name, store, data_root, triggered_by, command_prefix, release_command)
    ui.signoff(task, signoff)


def publish_node(node: str, run_id: str, job_name: str, store: str, data_root: str,
                 triggered_by: str, command_prefix: str, release_command: str, release: Output[Markdown]):
    from kubeflow import ui
    from kubeflow.node import node_task

    task = node_task(node, run_id, job_name, store, data_root, triggered_by, command_prefix, release_command)
    ui.publish(task, release)


# Which task runs a node, by the last part of the node's TFX type name.
GATES = {
    "ExampleValidator": data_gate_node,
    "Evaluator": evaluator_node,
    "ServingCheck": serving_check_node,
    "SignOff": signoff_node,
    "Publish": publish_node,
}
