"""Crash-safe file and folder replacement.

A file is written to a temporary name in its own folder, flushed to disk (fsync) and renamed
over the target with ``os.replace``, which is atomic: a reader sees the old file or the new one,
never half of one. A folder of files (a checkpoint) is written in full under a temporary name,
then swapped in by two renames::

    RUN/.checkpoint.tmp-XXXX  (complete)        1. write and fsync every file
    RUN/checkpoint -> RUN/.checkpoint.old       2. move the old folder aside
    RUN/.checkpoint.tmp-XXXX -> RUN/checkpoint  3. move the new one in
    rm -r RUN/.checkpoint.old                   4. drop the old one

Between 2 and 3 only the backup exists; ``resolve`` returns it then, so after an interruption at
any moment a complete checkpoint, old or new, is found.
"""

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import bad


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()   # temp files are created private (0600); give them the usual permissions


def _fsync_dir(path: Path):
    """Make a rename inside ``path`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path, data: bytes, argument: str | None = None):
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, os.replace.
    A failure names ``path``, not the temporary file: an OSError, or with ``argument`` (a
    path the user gave) the one-line error naming it."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise failed(e, path, argument) from None
    try:
        os.chmod(tmp, 0o666 & ~UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise failed(e, path, argument) from None
        raise
    _fsync_dir(path.parent)


def failed(e: OSError, path: Path, argument: str | None) -> Exception:
    """The error of a failed write of ``path``: ``e`` naming ``path``, or the one-line error
    naming ``argument`` and ``path``."""
    if argument is not None:
        return bad(argument, "a file path elman can write",
                   f"{str(path)!r} ({e.strerror or e})")
    if e.filename is not None:
        e.filename, e.filename2 = str(path), None
    return e


def write_text(path, text: str, argument: str | None = None):
    write_bytes(path, text.encode("utf-8"), argument)


def backup_of(target: Path) -> Path:
    return target.parent / f".{target.name}.old"


def resolve(target) -> Path:
    """The folder to read: ``target``, or its backup if a swap was interrupted between steps
    2 and 3 (see the module doc)."""
    target = Path(target)
    old = backup_of(target)
    return old if not target.exists() and old.is_dir() else target


class FolderWriter:
    """Write files into a temporary folder next to ``target``, then swap it in.

    with FolderWriter(run / "checkpoint") as tmp:
        write_bytes(tmp / "model.safetensors", ...)
    # here run/checkpoint is the new folder; on an exception the old one is untouched
    """

    def __init__(self, target):
        self.target = Path(target)
        self.old = backup_of(self.target)

    def __enter__(self) -> Path:
        parent = self.target.parent
        parent.mkdir(parents=True, exist_ok=True)
        for stale in parent.glob(f".{self.target.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)     # left by an earlier crash
        if self.old.is_dir():
            if self.target.exists():
                shutil.rmtree(self.old)                  # the swap had finished
            else:
                os.replace(self.old, self.target)        # the swap stopped half way
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=parent))
        os.chmod(self.tmp, 0o777 & ~UMASK)
        return self.tmp

    def __exit__(self, kind, value, tb):
        if kind is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        _fsync_dir(self.tmp)
        if self.target.exists():
            os.replace(self.target, self.old)
        os.replace(self.tmp, self.target)
        _fsync_dir(self.target.parent)
        shutil.rmtree(self.old, ignore_errors=True)
        return False
