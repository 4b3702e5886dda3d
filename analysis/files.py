"""Writing a file whole or not at all, with ordinary permissions: every output, cache file and demo file.

The bytes go to a temporary file in the same folder, which is then renamed into place (``os.replace``), so a reader
sees the old file or the new one, never half of one (docs/rules.md, "Figures and outputs"). ``mkstemp`` creates
the temporary file 0600; it is given the permissions any new file would have (0666 less the umask) before the
rename, so CSVs, figures and cache files all end up alike.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: Path | str, writer: Callable[[str], None], *, durable: bool = False) -> Path:
    """Call ``writer(temporary_path)``, then move the file to ``path``. ``durable``: fsync before the rename (the
    cache, which must survive a crash). Nothing is left behind when ``writer`` fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        writer(tmp)
        if durable:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: Path | str, data: bytes, *, durable: bool = False) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data), durable=durable)
