import os
from pathlib import Path

import pytest

from components.model_digest import folder_files, manifest
from components.publish.executor import publish_staged

# What Publish writes beside a version: the signed decision and the model-signing bundle.
PROOF = ('{"payloadType": "application/vnd.in-toto+json"}', '{"mediaType": "bundle"}')


def signed(staged) -> dict:
    """A signed statement's part that Publish reads: the manifest of the files signed off."""
    return {"predicate": {"files": manifest(folder_files(str(staged)))}}


def stage(root, version, files=("saved_model.pb", "variables/variables.index")):
    staged = root / ".staging" / version
    for name in files:
        path = staged / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    return staged


def test_publish_moves_the_whole_model_in_one_rename(tmp_path):
    serving = tmp_path / "serving"
    staged = stage(serving, "100")
    inode = os.stat(staged).st_ino
    final = publish_staged(str(staged), str(serving), "100", PROOF)
    assert final == str(serving / "100")
    # Same inode: the folder was renamed, not copied file by file.
    assert os.stat(final).st_ino == inode
    assert (serving / "100" / "variables" / "variables.index").exists()
    assert not staged.exists()
    # The proof lies beside the version, outside the folder a server loads.
    assert [(serving / f"100{s}").read_text() for s in (".decision.json", ".sig")] == list(PROOF)


def test_a_taken_version_gets_the_next_number(tmp_path):
    serving = tmp_path / "serving"
    publish_staged(str(stage(serving, "100")), str(serving), "100", PROOF)
    final = publish_staged(str(stage(serving, "100")), str(serving), "100", PROOF)
    assert final == str(serving / "101")
    assert sorted(p.name for p in serving.iterdir() if p.is_dir() and not p.name.startswith(".")) == ["100", "101"]


def test_a_staged_copy_that_differs_from_the_signed_off_model_is_refused(tmp_path):
    import pytest

    from components.model_digest import folder_digest
    from components.publish.executor import ModelChanged, release_model

    serving = tmp_path / "serving"
    staged = stage(serving, "200")
    approved = folder_digest(str(staged))
    (staged / "saved_model.pb").write_text("tampered")
    with pytest.raises(ModelChanged, match="not the one signed off"):
        release_model(str(staged), "200", str(serving), approved, signed(staged), PROOF)
    assert not staged.exists()
    assert not (serving / "200").exists()


@pytest.mark.parametrize("change", ["a changed target", "a file never signed off", "a missing file"])
def test_a_staged_copy_that_differs_from_the_signed_manifest_is_refused(tmp_path, change):
    """The SavedModel's digest matches, but what would be served beside it does not."""
    from components.model_digest import folder_digest
    from components.publish.executor import ModelChanged, release_model

    serving, targets = tmp_path / "serving", tmp_path / "targets"
    staged = stage(serving, "250")
    targets.mkdir()
    (targets / "model.tflite").write_text("converted")
    approved = folder_digest(str(staged))
    proof = {"predicate": {"files": {**signed(staged)["predicate"]["files"],
                                     **manifest({"model.tflite": str(targets / "model.tflite")})}}}
    beside = [str(targets / "model.tflite")]
    if change == "a changed target":
        (targets / "model.tflite").write_text("swapped")
    elif change == "a file never signed off":
        (targets / "model.onnx").write_text("extra")
        beside.append(str(targets / "model.onnx"))
    else:
        beside = []
    with pytest.raises(ModelChanged, match="model.(tflite|onnx).*it was not published"):
        release_model(str(staged), "250", str(serving), approved, proof, PROOF, beside=beside)
    assert not staged.exists() and not (serving / "250").exists() and not (serving / "250.sig").exists()


def test_the_same_model_is_not_published_twice(tmp_path):
    from components.model_digest import folder_digest
    from components.publish.executor import release_model

    serving = tmp_path / "serving"
    first_copy = stage(serving, "300")
    first = release_model(str(first_copy), "300", str(serving), "", signed(first_copy), PROOF)
    again = stage(serving, "301")
    assert release_model(str(again), "301", str(serving), folder_digest(str(again)), signed(again), PROOF) == first
    assert [p.name for p in serving.iterdir() if p.is_dir() and not p.name.startswith(".")] == ["300"]


def _release_at_once(staged: str, serving: str, digest: str, start, results) -> None:
    from components.publish.executor import release_model

    start.wait()
    try:
        results.put(release_model(staged, "100", serving, digest, signed(staged), PROOF))
    except OSError as error:  # two renames onto one version folder
        results.put(f"failed: {error}")


def _race(serving, racers: int, files: int = 40):
    """Each racer with its own staged copy of one model, as concurrent Pushers make."""
    import multiprocessing

    from components.model_digest import folder_digest

    copies = [stage(serving / ".staging" / str(i), "100", files=[f"variables/{n}" for n in range(files)])
              for i in range(racers)]
    digest = folder_digest(str(copies[0]))
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(racers), context.Queue()
    processes = [context.Process(target=_release_at_once, args=(str(c), str(serving), digest, start, results))
                 for c in copies]
    for process in processes:
        process.start()
    # The barrier goes with the processes: freed in this process, it vanishes before they load it.
    return processes, results, start


def test_releases_of_one_model_racing_publish_it_once(tmp_path):
    """Four releases of the same approved model at the same instant, five times
    over: each time one version appears, and all four report it."""
    for round_ in range(5):
        serving = tmp_path / str(round_) / "serving"
        processes, results, _ = _race(serving, 4)
        paths = {results.get(timeout=60) for _ in processes}
        for process in processes:
            process.join(timeout=60)
        assert [p.name for p in serving.iterdir() if p.name.isdigit()] == ["100"], round_
        assert paths == {str(serving / "100")}, round_


def test_a_release_waits_while_another_holds_the_serving_folder(tmp_path):
    import queue

    from components.publish.executor import one_publisher

    serving = tmp_path / "serving"
    with one_publisher(str(serving)):
        processes, results, _ = _race(serving, 1)
        with pytest.raises(queue.Empty):
            results.get(timeout=3)  # blocked: nothing can be published meanwhile
        assert not any(p.name.isdigit() for p in serving.iterdir())
    assert results.get(timeout=60) == str(serving / "100")
    processes[0].join(timeout=60)


def test_a_resume_finds_the_version_its_killed_run_had_renamed(tmp_path):
    """Killed after the rename, before TFX recorded Publish: the resume gets the
    same staged path, now gone, and must answer with the version it became."""
    from components.model_digest import folder_digest
    from components.publish.executor import release_model

    serving = tmp_path / "serving"
    staged = stage(serving, "400")
    approved = folder_digest(str(staged))
    proof = signed(staged)
    final = release_model(str(staged), "400", str(serving), approved, proof, PROOF)
    other = stage(serving, "500", files=("other.pb",))
    release_model(str(other), "500", str(serving), "", signed(other), PROOF)
    assert release_model(str(staged), "400", str(serving), approved, proof, PROOF) == final
    assert sorted(p.name for p in serving.iterdir() if p.name.isdigit()) == ["400", "500"]


def test_a_gone_staged_copy_that_was_never_served_is_refused(tmp_path):
    from components.publish.executor import ModelChanged, release_model

    serving = tmp_path / "serving"
    with pytest.raises(ModelChanged, match="is gone and no served version holds the signed-off model"):
        release_model(str(serving / ".staging" / "600"), "600", str(serving), "sha256:approved", {}, PROOF)
    assert not any(p.name.isdigit() for p in serving.iterdir())


def _push(pusher, model, blessing, staging: str) -> str:
    from tfx.proto import pusher_pb2
    from tfx.types import standard_artifacts
    from tfx.utils import proto_utils

    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(Path(staging).parent / "archive" / str(id(pushed)))
    filesystem = pusher_pb2.PushDestination.Filesystem(base_directory=staging)
    destination = pusher_pb2.PushDestination(filesystem=filesystem)
    pusher.Do({"model": [model], "model_blessing": [blessing]}, {"pushed_model": [pushed]},
              {"push_destination": proto_utils.proto_to_json(destination)})
    return pushed.get_string_custom_property("pushed_destination")


def test_two_pushes_in_one_second_get_a_staging_folder_each(tmp_path):
    """TFX's Pusher names its copy after the second and skips the copy when that
    folder exists; ours waits for a free second, so no two releases share one."""
    from tfx.types import standard_artifacts

    from components.model_digest import SERVING_SUBDIR, folder_digest
    from components.publish.pusher import Executor

    models = []
    for name in ("a", "b"):
        model = standard_artifacts.Model()
        model.uri = str(tmp_path / "models" / name)
        (Path(model.uri) / SERVING_SUBDIR).mkdir(parents=True)
        (Path(model.uri) / SERVING_SUBDIR / "saved_model.pb").write_text(name)
        models.append(model)
    blessing = standard_artifacts.ModelBlessing()
    blessing.set_int_custom_property("blessed", 1)
    staging = str(tmp_path / "serving" / ".staging")
    first, second = (_push(Executor(), m, blessing, staging) for m in models)
    assert first != second
    assert [folder_digest(p) for p in (first, second)] == [folder_digest(m.uri + "/" + SERVING_SUBDIR) for m in models]
