"""Who is at the desk: a session made by logging in, or, behind Kubeflow's
authentication, the header its proxy sets. And the CSRF token every form
carries, tied to that session or person.

Sessions live in the server's memory: a restart logs everyone out, and no
session token is ever written anywhere.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import time

SESSION_COOKIE = "tollgate_session"
LIFETIME = 8 * 3600.0
VISITOR_LIFETIME = 900.0  # a login form's session: long enough to type, short enough not to pile up


@dataclasses.dataclass(frozen=True)
class Person:
    name: str
    may_decide: bool  # named by signoff.approvers (or anyone, when that list is empty)


class Sessions:
    def __init__(self, lifetime: float = LIFETIME, clock=time.monotonic):
        self.lifetime, self.clock = lifetime, clock
        self._secret = secrets.token_bytes(32)
        self._open: dict[str, tuple[str | None, float]] = {}

    def start(self, name: str | None) -> str:
        """A new token: for `name`, or for a visitor not logged in yet (whose
        login form still needs a CSRF token). Logging in always starts a new one."""
        now = self.clock()
        for old in [t for t, (_, ends) in list(self._open.items()) if ends < now]:
            self._open.pop(old, None)
        token = secrets.token_urlsafe(32)
        self._open[token] = (name, now + (self.lifetime if name else min(self.lifetime, VISITOR_LIFETIME)))
        return token

    def known(self, token: str | None) -> bool:
        opened = self._open.get(token or "")
        if opened and opened[1] < self.clock():
            self._open.pop(token, None)
            return False
        return opened is not None

    def who(self, token: str | None) -> str | None:
        return self._open[token][0] if self.known(token) else None

    def end(self, token: str | None) -> None:
        self._open.pop(token or "", None)

    def csrf(self, holder: str) -> str:
        """The token a form carries for `holder` (a session token, or a header's person)."""
        return hmac.new(self._secret, f"csrf:{holder}".encode(), hashlib.sha256).hexdigest()

    def csrf_holds(self, holder: str | None, given: str | None) -> bool:
        return bool(holder and given) and hmac.compare_digest(self.csrf(holder), given)
