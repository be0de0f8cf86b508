"""What a desk page shows, kept until the store or the keyring changes.

A page reads dozens of rows, checks signatures and draws a graph; twenty
reviewers asking at once would each pay for that. So each page's data is
kept with the version of what it was read from, and read again only once
that version moves. The version is taken before the page is read, so a write
that lands while it is read makes the next request read again.

- SQLite: `PRAGMA data_version` on a connection of the desk's own, which
  moves with every commit of any other connection, raw SQL included, and the
  file's inode, in case the file is swapped.
- MySQL: the newest execution, artifact and context by update time (MLMD
  stamps every write it makes). A write that goes round MLMD, by SQL that
  leaves the stamps alone, would not move that: a page is also read again
  once it is `MYSQL_LONGEST` seconds old, so such a change shows within it.

The keyring's file is part of the version: it decides which proofs hold.
What `tollgate verify` says also depends on the files it hashes, which
change without the store knowing: its answer is kept under their
`folders_version` (inode, size, times), and read again when any moves.
"""

from __future__ import annotations

import collections
import os
import sqlite3
import threading
import time
from typing import Any, Callable

from ml_metadata.metadata_store import metadata_store

from pipeline.config import TollgateConfig
from pipeline.lineage.store import store_for

MYSQL_LONGEST = 5.0  # seconds a page may be kept on MySQL without another look
KEPT = 64  # pages kept at once; the least recently asked goes first
STRIPES = 16  # locks that pages share: one reader per page at a time, in bounded memory
_MISSING = object()
_NEWEST = metadata_store.ListOptions(limit=1, order_by=metadata_store.OrderByField.UPDATE_TIME, is_asc=False)


def folders_version(*folders) -> tuple:
    """Every entry under the folders, as the file system describes it. Writing a
    file's bytes moves its ctime, which no user can set back; a file swapped
    for another has a new inode."""
    found = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            found += [(os.path.join(root, name), *_stat(os.path.join(root, name), follow=False))
                      for name in sorted(dirs + files)]
    return tuple(found)


def _stat(path, follow: bool = True) -> tuple:
    try:
        found = os.stat(path, follow_symlinks=follow)
    except FileNotFoundError:
        return ()
    return found.st_ino, found.st_mode, found.st_size, found.st_mtime_ns, found.st_ctime_ns


class SqliteVersion:
    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def __call__(self) -> tuple:
        inode = _stat(self.path)[:1]
        with self._lock:
            if self._db is None and inode:
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                           check_same_thread=False)
            changes = self._db.execute("PRAGMA data_version").fetchone()[0] if self._db else None
        return changes, inode


class MysqlVersion:
    def __init__(self, config: TollgateConfig):
        self.config = config
        self._local = threading.local()  # an MLMD store per thread: no connection is shared

    def __call__(self) -> tuple:
        store = getattr(self._local, "store", None) or store_for(self.config)
        self._local.store = store
        newest = [found(list_options=_NEWEST) for found in
                  (store.get_executions, store.get_artifacts, store.get_contexts)]
        stamps = tuple((n[0].id, n[0].last_update_time_since_epoch) if n else () for n in newest)
        return stamps, int(time.monotonic() // MYSQL_LONGEST)


class PageCache:
    """`get(key, read)`: what `read()` gave for `key`, read again only when the version moved."""

    def __init__(self, config: TollgateConfig):
        self.store_version = SqliteVersion(config.sqlite_path) if config.metadata.backend == "sqlite" \
            else MysqlVersion(config)
        self.keyring = config.keyring_path
        self._kept: collections.OrderedDict[tuple, tuple[tuple, Any]] = collections.OrderedDict()
        self._reading = [threading.Lock() for _ in range(STRIPES)]
        self._lock = threading.Lock()

    def version(self) -> tuple:
        return self.store_version(), _stat(self.keyring)

    def get(self, key: tuple, read: Callable[[], Any]) -> Any:
        found = self._kept_at(key, self.version())
        if found is not _MISSING:
            return found
        # One reader per page: the others wait for its answer rather than each reading it too.
        with self._reading[hash(key) % STRIPES]:
            now = self.version()
            found = self._kept_at(key, now)
            if found is not _MISSING:
                return found
            value = read()
            with self._lock:
                self._kept[key] = (now, value)
                self._kept.move_to_end(key)
                while len(self._kept) > KEPT:
                    self._kept.popitem(last=False)
            return value

    def _kept_at(self, key: tuple, version: tuple) -> Any:
        with self._lock:
            kept = self._kept.get(key)
            if not kept or kept[0] != version:
                return _MISSING
            self._kept.move_to_end(key)
            return kept[1]
