"""Stories more than one e2e module reads: each built once per worker, and
tests/groups.py keeps the tests that read one on the same worker."""

import pytest

from tests.e2e import proof_story as proof


@pytest.fixture(scope="session", params=["sqlite", "mariadb"])
def proof_story(request, tmp_path_factory) -> proof.Story:
    """tests/e2e/proof_story.py's story on each store; restore() it before a test."""
    server = request.getfixturevalue("mariadb") if request.param == "mariadb" else None
    return proof.build(tmp_path_factory.mktemp(f"proof-{request.param}"), server, f"proof_{request.param}")
