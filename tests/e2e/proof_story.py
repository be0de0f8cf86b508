"""The proof-of-sign-off story that tests/e2e/test_proof_e2e.py and the
review desk's tests share, once per store (tests/e2e/conftest.py builds it
once per worker).

A team keyring lists alice, bob and carol (keys made with `tollgate keygen`);
carol triggers every run. Model A is approved by alice and released; model B
awaits sign-off. Each test starts from a copy of that moment (the state
folder, and the database for MariaDB).
"""

from __future__ import annotations

import shutil
import socket
import sqlite3

from components.signoff import records
from tests.e2e.project import Project

PEOPLE = ("alice", "bob", "carol")


class Story:
    def __init__(self, project: Project, server, database: str):
        self.project, self.server, self.database = project, server, database
        self.saved = project.root / "saved"

    def key(self, name: str) -> str:
        return str(self.project.root / "people" / f"{name}.pem")

    def as_(self, name: str, *args: str, expect: int = 0):
        return self.project.tollgate(*args, "--key", self.key(name), user=name, expect=expect)

    def save(self) -> None:
        """The state folder, the team's keyring (a test may add a line) and the database."""
        shutil.copytree(self.project.home, self.saved)
        shutil.copy(self.project.root / "keyring", self.project.root / "saved-keyring")
        if self.server:
            self.server.dump(self.database, self.project.root / "saved.sql")

    def restore(self) -> None:
        shutil.rmtree(self.project.home)
        shutil.copytree(self.saved, self.project.home)
        shutil.copy(self.project.root / "saved-keyring", self.project.root / "keyring")
        if self.server:
            self.server.load(self.database, self.project.root / "saved.sql")

    def sql(self, statement: str) -> None:
        """What anyone who can write to the store can do."""
        if self.server:
            self.server.sql(f"USE `{self.database}`; {statement}")
            return
        with sqlite3.connect(self.project.home / "metadata.sqlite") as connection:
            connection.execute(statement)

    def request_and_decision(self, model: int):
        store = self.project.store()
        request = records.requests_for_model(store, model)[-1]
        return request, records.decision_for(store, request.id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(root, server, name: str) -> Story:
    """The story at the moment A is released and B awaits, saved for `restore`.
    Its review desk's address is set before the runs, so that B's sign-off
    notice links B's review page (WebAuthn takes a domain, never an address)."""
    store = server.config(name) if server else ""
    port = free_port()
    config = (store + f'[signoff]\nkeyring = "{root / "keyring"}"\napprovers = ["alice", "bob", "carol"]\n'
              f'[ui]\nport = {port}\nbase_url = "http://localhost:{port}"\n'
              "[trainer]\ntrain_steps = 100\n"
              # B must reach the sign-off whatever its AUC: its subject is the proof, not the model.
              '[[evaluator.metrics]]\nname = "auc"\nthreshold = 0.5\nmax_change = 1.0\n')
    story = Story(Project(root, config), server, name)
    # Each person makes their key; the team adds the printed lines to its keyring.
    made = [story.project.tollgate("keygen", "--name", name, "--key", story.key(name), user=name) for name in PEOPLE]
    (root / "keyring").write_text("# reviewed like code\n" + "".join(m.splitlines()[-1] + "\n" for m in made))
    a = story.project.run()["model_id"]
    story.as_("alice", "approve", str(a), "--comment", "slices hold")
    story.project.tollgate("release", str(a))
    b = story.project.tollgate("run", "--data", str(story.project.data), "--train-steps", "120", "--json")
    assert b["status"] == "awaiting sign-off", b
    story.models = {"A": a, "B": b["model_id"]}
    story.save()
    return story
