"""Telling approvers that a sign-off request is waiting.

The notifier is picked by name in config. The webhook URL (which for Slack
carries its token) is read from the environment when a message is sent, so
it never reaches component parameters or MLMD.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request

from components.metrics import summary_metric
from components.signoff.records import review_link

WEBHOOK_ENV = "TOLLGATE_SIGNOFF_WEBHOOK"


def message(request, base_url: str = "") -> str:
    """The notice; with the desk's address (the run's own ui.base_url), a link to the review page."""
    summary = request.eval_summary
    metric = summary_metric(summary)
    value = summary.get("overall", {}).get(metric.key)
    metrics = f"{metric.label} {value:.4f}" if isinstance(value, float) else "no metrics"
    link = review_link(base_url, request.model_id)
    return (
        f"Tollgate: model {request.model_id} of '{request.pipeline}' awaits sign-off "
        f"(request {request.id}, {metrics}, run {request.run_id}, triggered by "
        f"{request.triggered_by}). " + (f"Review and decide: {link} . Or approve: " if link else "Approve: ")
        + request.approve_command
    )


def log_notifier(request, base_url: str) -> None:
    logging.getLogger("tollgate.signoff").warning(message(request, base_url))


def webhook_notifier(request, base_url: str) -> None:
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        raise RuntimeError(f"signoff.notifier is 'webhook' but ${WEBHOOK_ENV} is not set")
    body = json.dumps({"text": message(request, base_url)}).encode()
    post = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(post, timeout=10) as response:
        response.read()


NOTIFIERS = {"log": log_notifier, "webhook": webhook_notifier}


def notify(name: str, request, base_url: str = "") -> None:
    try:
        NOTIFIERS[name](request, base_url)
    except Exception:  # a failed notice must not lose the request itself
        logging.getLogger("tollgate.signoff").exception("could not notify approvers")
