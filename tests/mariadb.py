"""A throwaway MariaDB server for the suite, from Debian's `mariadb-server`:
its own data directory and socket under a temporary folder, a free local
port, one database and one user with a password, stopped at the end.

`make test` installs the package when it is missing. If the server can't
start, `MariaDB.start` fails with one line saying why: a store test never
skips.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import time
from pathlib import Path

PASSWORD = "tollgate-test-password"  # a throwaway server's; passed only through the environment


class MariaDBUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        raise MariaDBUnavailable(f"{name} not found: install Debian's mariadb-server (make test-system does)")
    return found


@dataclasses.dataclass
class MariaDB:
    root: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.root / "mysqld.sock"

    def start(self, timeout: float = 60) -> MariaDB:
        data, log = self.root / "data", self.root / "server.log"
        data.mkdir(parents=True)
        done = subprocess.run([_binary("mariadb-install-db"), f"--datadir={data}", "--auth-root-authentication-method=socket",
                               "--skip-test-db", "--user=" + _user()], capture_output=True, text=True)
        if done.returncode:
            raise MariaDBUnavailable(f"mariadb-install-db failed: {done.stderr.strip().splitlines()[-1:]}")
        self.port = _free_port()
        self.process = subprocess.Popen(
            [_binary("mariadbd"), "--no-defaults", f"--datadir={data}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.root / 'mysqld.pid'}",
             "--user=" + _user(), "--skip-log-bin", "--innodb-buffer-pool-size=64M"],
            stdout=log.open("w"), stderr=subprocess.STDOUT)
        self._wait(timeout, log)
        self.sql("CREATE USER 'tollgate'@'127.0.0.1' IDENTIFIED BY '%s';"
                 "GRANT ALL ON *.* TO 'tollgate'@'127.0.0.1';" % PASSWORD)
        return self

    def _wait(self, timeout: float, log: Path) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                last = log.read_text().strip().splitlines()[-1:]
                raise MariaDBUnavailable(f"mariadbd exited with {self.process.returncode}: {last}")
            if self.socket.exists() and self.sql("SELECT 1", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise MariaDBUnavailable(f"mariadbd did not answer within {timeout:g} s; see {log}")

    def sql(self, statements: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([_binary("mariadb"), f"--socket={self.socket}", "-uroot", "-e", statements],
                              capture_output=True, text=True)
        if check and done.returncode:
            raise MariaDBUnavailable(f"mariadb refused {statements[:40]!r}: {done.stderr.strip()}")
        return done

    def config(self, database: str) -> str:
        """A Tollgate config table for one fresh database on this server."""
        self.sql(f"CREATE DATABASE `{database}`")
        return (f'[metadata]\nbackend = "mysql"\nhost = "127.0.0.1"\nport = {self.port}\n'
                f'database = "{database}"\nuser = "tollgate"\n')

    def dump(self, database: str, path: Path) -> None:
        with open(path, "w") as out:
            subprocess.run([_binary("mariadb-dump"), f"--socket={self.socket}", "-uroot", database],
                           stdout=out, check=True)

    def load(self, database: str, path: Path) -> None:
        """Puts a database back as `dump` found it (the dump drops and recreates each table)."""
        with open(path) as dump:
            subprocess.run([_binary("mariadb"), f"--socket={self.socket}", "-uroot", database],
                           stdin=dump, check=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def _user() -> str:
    import getpass

    return getpass.getuser()
