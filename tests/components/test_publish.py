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
