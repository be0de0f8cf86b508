from tfx.types import standard_artifacts

from components.baseline.strategy import BaselineModelStrategy


def model(artifact_id):
    m = standard_artifacts.Model()
    m.id = artifact_id
    return m


def blessing(model_id, blessed, decision="approve"):
    """A SignOff blessing; decision=None makes an Evaluator's (no person involved)."""
    b = standard_artifacts.ModelBlessing()
    b.set_int_custom_property("current_model_id", model_id)
    b.set_int_custom_property("blessed", int(blessed))
    if decision:
        b.set_string_custom_property("decision", decision)
    return b


def resolve(models, blessings, candidate):
    inputs = {"model": models, "model_blessing": blessings, "candidate": candidate}
    return BaselineModelStrategy().resolve_artifacts(None, inputs)


def test_latest_blessed_model_other_than_the_candidate():
    models = [model(1), model(2), model(3)]
    blessings = [blessing(1, True), blessing(2, True), blessing(3, False)]
    out = resolve(models, blessings, [model(2)])
    assert [m.id for m in out["model"]] == [1]
    assert out["model_blessing"][0].get_int_custom_property("current_model_id") == 1


def test_no_baseline_when_only_the_candidate_was_blessed():
    # An unchanged re-run: the cached candidate is the only blessed model.
    out = resolve([model(5)], [blessing(5, True)], [model(5)])
    assert out["model"] == [] and out["model_blessing"] == []


def test_only_a_person_s_approval_makes_a_baseline():
    # Model 2: the Evaluator blessed it, a person rejected it. Model 3: only
    # the Evaluator has spoken. Neither may be the bar for model 4.
    blessings = [
        blessing(1, True), blessing(2, True, decision=None), blessing(2, False, "reject"),
        blessing(3, True, decision=None),
    ]
    out = resolve([model(1), model(2), model(3)], blessings, [model(4)])
    assert [m.id for m in out["model"]] == [1]


def test_unblessed_models_are_never_a_baseline():
    out = resolve([model(1), model(2)], [blessing(1, False), blessing(2, False)], [model(3)])
    assert out["model"] == []
