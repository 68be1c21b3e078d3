"""Which sources hold (entity key, event time) ties, remembered while their files are unchanged.

A tie-free source joins on event time alone, which sorts a 64-bit key instead of the 128-bit
event+created key (see ``sql.order_key``). Finding out costs a scan and hash of the source, so
the verdict for a whole source is kept per file set and keyed by every file's size and
inode and times: a source that gains or rewrites a file is checked again. A source with a
tie somewhere may still be tie-free within one retrieval's window; that is checked per call.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Hashable, Sequence

_LIMIT = 256
_verdicts: OrderedDict[Hashable, bool] = OrderedDict()
_lock = threading.Lock()


def fingerprint(files: Sequence[str]) -> tuple | None:
    """Identity of a local file set's contents; None when it cannot be told.

    Ingestion never rewrites a file in place (new part files are renamed into place: a new
    inode), so (inode, size, mtime, ctime) changes whenever a file's rows can have changed.
    """
    if not files:
        return None
    out = []
    for path in files:
        if "://" in path and not path.startswith("file://"):
            return None  # remote objects: no cheap, reliable change signal
        try:
            stat = os.stat(path.removeprefix("file://"))
        except OSError:
            return None
        out.append((path, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))
    return tuple(out)


def known(key: Hashable) -> bool | None:
    """True: the source has ties; False: none at all; None: not checked (or files changed)."""
    with _lock:
        verdict = _verdicts.get(key)
        if verdict is not None:
            _verdicts.move_to_end(key)
        return verdict


def remember(key: Hashable, has_ties: bool) -> None:
    with _lock:
        _verdicts[key] = has_ties
        _verdicts.move_to_end(key)
        while len(_verdicts) > _LIMIT:
            _verdicts.popitem(last=False)


def forget_all() -> None:
    """Drops every verdict (tests; or after rewriting files within one mtime tick)."""
    with _lock:
        _verdicts.clear()
