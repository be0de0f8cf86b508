import os

from components.publish.component import publish_staged


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
    final = publish_staged(str(staged), str(serving), "100")
    assert final == str(serving / "100")
    # Same inode: the folder was renamed, not copied file by file.
    assert os.stat(final).st_ino == inode
    assert (serving / "100" / "variables" / "variables.index").exists()
    assert not staged.exists()


def test_a_taken_version_gets_the_next_number(tmp_path):
    serving = tmp_path / "serving"
    publish_staged(str(stage(serving, "100")), str(serving), "100")
    final = publish_staged(str(stage(serving, "100")), str(serving), "100")
    assert final == str(serving / "101")
    assert sorted(p.name for p in serving.iterdir() if not p.name.startswith(".")) == ["100", "101"]


def test_a_staged_copy_that_differs_from_the_signed_off_model_is_refused(tmp_path):
    import pytest

    from components.model_digest import folder_digest
    from components.publish.component import ModelChanged, release_model

    serving = tmp_path / "serving"
    staged = stage(serving, "200")
    approved = folder_digest(str(staged))
    (staged / "saved_model.pb").write_text("tampered")
    with pytest.raises(ModelChanged, match="not the one signed off"):
        release_model(str(staged), "200", str(serving), approved)
    assert not staged.exists()
    assert not (serving / "200").exists()


def test_the_same_model_is_not_published_twice(tmp_path):
    from components.model_digest import folder_digest
    from components.publish.component import release_model

    serving = tmp_path / "serving"
    first = release_model(str(stage(serving, "300")), "300", str(serving), "")
    again = stage(serving, "301")
    assert release_model(str(again), "301", str(serving), folder_digest(str(again))) == first
    assert [p.name for p in serving.iterdir() if not p.name.startswith(".")] == ["300"]
