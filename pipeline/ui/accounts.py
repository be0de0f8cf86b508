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
import threading
import time
from collections import deque
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

    def check(self, name: str, password: str) -> bool:
        stored = self._read().get(name)
        try:
            return self._hasher.verify(stored or self._decoy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


class Throttle:
    """At most `limit` login attempts that failed per key (a name, an address)
    in `window` seconds. An attempt counts from the moment it is let in, so
    that guesses sent at once cannot all pass while the first is checked."""

    def __init__(self, limit: int = 5, window: float = 300.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._tries: dict[str, deque] = {}
        self._lock = threading.Lock()

    def attempt(self, *keys: str) -> int:
        """0, with the attempt counted against each key; else the seconds until one may try again."""
        with self._lock:
            now = self.clock()
            waits = [0.0]
            for key in keys:
                tries = self._tries.get(key, deque())
                while tries and tries[0] <= now - self.window:
                    tries.popleft()
                if len(tries) >= self.limit:
                    waits.append(tries[0] + self.window - now)
            if max(waits) > 0:
                return math.ceil(max(waits))
            for key in keys:
                self._tries.setdefault(key, deque()).append(now)
            return 0

    def passed(self, name: str, *others: str) -> None:
        """The attempt succeeded: the name starts afresh, and it no longer counts against `others`."""
        with self._lock:
            self._tries.pop(name, None)
            for key in others:
                tries = self._tries.get(key)
                if tries:
                    tries.pop()
