"""What a desk page shows, kept until the store or the keyring changes.

A page reads dozens of rows, checks signatures and draws a graph; twenty
reviewers asking at once would each pay for that. So each page's data is
kept with the version of what it was read from, and read again only once
that version moves. The version is taken before the page is read, so a write
that lands while it is read makes the next request read again.

- SQLite: the file's stat, and `PRAGMA data_version` on a connection of the
  desk's own, which moves with every commit of any other connection, raw SQL
  included, even one within the file system's clock tick.
- MySQL: the newest execution, artifact and context by update time (MLMD
  stamps every write it makes). A write that goes round MLMD, by SQL that
  leaves the stamps alone, would not move that: a page is also read again
  once it is `MYSQL_LONGEST` seconds old, so such a change shows within it.

The keyring's file is part of the version: it decides which proofs hold.
A proof also hashes files that change without the store knowing (the
model's folder, its serving targets, the served copies and the proofs
beside them): the pages that show proofs are kept under those files'
`folders_version` too (inode, mode, size, times), and read again when any
moves. Writing a file moves its ctime, which no user can set back; two
writes within one tick of the file system's clock, with a page read
between them, are the one change this can miss.
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
        self._opened: tuple = ()  # the file as it stood when the connection opened

    def __call__(self) -> tuple:
        # data_version counts commits as one connection sees them: on any change to the file
        # (a commit, or a file put in its place, maybe on a reused inode) a connection of
        # its own is opened, and the file's stat is part of the version too.
        found = _stat(self.path)
        with self._lock:
            if found != self._opened:
                if self._db is not None:
                    self._db.close()
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                           check_same_thread=False) if found else None
                self._opened = found
            changes = self._db.execute("PRAGMA data_version").fetchone()[0] if self._db else None
        return changes, found


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
