"""Who may log in to the review desk, and how often they may fail.

Accounts are names with argon2 password hashes in <home>/ui/accounts.json
(mode 0600), outside the store: a hash is not for everyone who can read
MLMD. Behind Kubeflow's authentication the desk keeps no accounts at all
(pipeline/ui/people.py).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import defaultdict, deque
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.errors import TollgateError

MIN_PASSWORD = 12
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class Accounts:
    def __init__(self, path: Path):
        self.path = path
        self._hasher = PasswordHasher()
        # Checked against when the name is unknown, so that a wrong name
        # takes as long as a wrong password and names cannot be guessed by timing.
        self._decoy = self._hasher.hash(os.urandom(16).hex())

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise TollgateError(f"the desk's accounts in {self.path} cannot be read ({error}); "
                                "restore the file or add the users again") from None

    def add(self, name: str, password: str) -> bool:
        """Adds `name`, or gives it a new password; True if it is new."""
        if not NAME.match(name):
            raise TollgateError(f"{name!r} is not a user name: use letters, digits and . _ @ - (64 at most)")
        if len(password) < MIN_PASSWORD:
            raise TollgateError(f"the password is shorter than {MIN_PASSWORD} characters; choose a longer one")
        known = self._read()
        new = name not in known
        known[name] = self._hasher.hash(password)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(".new")
        # Made 0600 before anything is written to it; replaced in one step.
        scratch.unlink(missing_ok=True)
        with os.fdopen(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            json.dump(known, handle, indent=2)
        os.replace(scratch, self.path)
        return new

    def names(self) -> list[str]:
        return sorted(self._read())

    def check(self, name: str, password: str) -> bool:
        stored = self._read().get(name)
        try:
            return self._hasher.verify(stored or self._decoy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


class Throttle:
    """At most `limit` failed logins per key (a name, an address) in `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque] = defaultdict(deque)

    def wait(self, *keys: str) -> int:
        """Seconds until any of `keys` may try again; 0 if all may now."""
        now = self.clock()
        waits = [0.0]
        for key in keys:
            failures = self._failures[key]
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) >= self.limit:
                waits.append(failures[0] + self.window - now)
        return math.ceil(max(waits))

    def failed(self, *keys: str) -> None:
        for key in keys:
            self._failures[key].append(self.clock())

    def passed(self, name: str) -> None:
        self._failures.pop(name, None)
