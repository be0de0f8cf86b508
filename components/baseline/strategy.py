"""Resolves the baseline model: the latest signed-off model other than the candidate.

Both the Evaluator and SignOff write ModelBlessings. Only SignOff's carry a
person's `decision`; the baseline is the newest model a person approved, so
a model the Evaluator liked but a person rejected never becomes the bar.

TFX's LatestBlessedModelStrategy can return the candidate itself. On an
unchanged re-run the cached Trainer hands over the model that the last run
already blessed, so the Evaluator would compare it with itself, bless it
again, and Pusher would release the same model a second time. Leaving the
candidate out keeps the Evaluator's inputs unchanged, so it and everything
after it come from the cache.
"""

from tfx.dsl.components.common.resolver import ResolverStrategy

MODEL = "model"
BLESSING = "model_blessing"
CANDIDATE = "candidate"


def latest_blessed(models, blessings, exclude_ids=frozenset()):
    """The newest (model, blessing) pair approved by a person, or (None, None)."""
    blessed = {
        b.get_int_custom_property("current_model_id"): b
        for b in blessings
        if b.get_int_custom_property("blessed") == 1
        and b.get_string_custom_property("decision") == "approve"
    }
    for model in sorted(models, key=lambda m: m.id, reverse=True):
        if model.id in blessed and model.id not in exclude_ids:
            return model, blessed[model.id]
    return None, None


class BaselineModelStrategy(ResolverStrategy):
    def resolve_artifacts(self, store, input_dict):
        exclude = frozenset(m.id for m in input_dict.get(CANDIDATE, []))
        model, blessing = latest_blessed(
            input_dict.get(MODEL, []), input_dict.get(BLESSING, []), exclude
        )
        return {
            MODEL: [model] if model else [],
            BLESSING: [blessing] if blessing else [],
            CANDIDATE: list(input_dict.get(CANDIDATE, [])),
        }


def latest_released(models, releases):
    """The model of the newest release that published one, or None."""
    published = [r for r in releases if r.get_int_custom_property("released") == 1]
    by_id = {m.id: m for m in models}
    for release in sorted(published, key=lambda r: r.id, reverse=True):
        model = by_id.get(release.get_int_custom_property("model_id"))
        if model is not None:
            return model
    return None


class ReleasedModelStrategy(ResolverStrategy):
    """The last released model, for the Trainer to warm-start from."""

    def resolve_artifacts(self, store, input_dict):
        model = latest_released(input_dict.get(MODEL, []), input_dict.get("release", []))
        return {MODEL: [model] if model else [], "release": []}
