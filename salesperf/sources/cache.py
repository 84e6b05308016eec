"""A cache of loaded sources: the second run over the same exports skips the parse.

A terminal user checks a rep's progress several times a day, and cron runs several configs
over the same monthly exports; parsing a million-row CSV is most of such a run. The result
of loading a source (its typed frame, what was detected per file, every rejected row and
warning) is stored under a key made of everything that decides it:

- the SHA-256 of every file's bytes and the path shown for it in messages,
- the source's settings that reach the loader (columns, encoding, delimiter, header row,
  date format, missing-value markers, which fields are numbers),
- the cache format, and the salesperf, pandas and numpy versions.

So an edited export, a changed ``columns:`` mapping or an upgrade misses, and a hit returns
exactly what parsing would have (``tests/sources/test_cache.py`` compares the two). Failed loads
are never stored: their messages come from parsing.

Where: ``$SALESPERF_CACHE`` if set (``off`` disables the cache), else
``$XDG_CACHE_HOME/salesperf`` or ``~/.cache/salesperf``, a folder only its owner can read
(sales data is confidential). Sources smaller than :data:`MIN_BYTES` are not cached (they
parse in a blink); the folder is kept under :data:`MAX_TOTAL_BYTES`, least recently used
first out. Entries are ``.npz`` files of plain arrays plus a JSON header, read with
``allow_pickle=False``: a cache file can never run code. Any problem with the cache (a
read-only home in cron, a damaged file, a full disk) falls back to parsing, silently.

Trust: whoever can write an entry decides the numbers of the next run, and the report's
provenance would still show the hashes of the unchanged exports. So the cache is trusted
exactly as far as its folder: a folder that is not owned by the user running salesperf, or
that its group or others may write (or a link to it owned by someone else), is refused
with :class:`CacheError` (exit 2) rather than silently read or silently ignored. Each
entry also carries a SHA-256 of its key and of every stored array, checked on read: an
entry edited, damaged or copied under another key is dropped and the source parsed. The
digest is not a signature (someone who can write the folder can recompute it); it makes a
stray edit or a bit flip fail loudly, while the folder's permissions keep others out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import itertools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesperf import __version__
from salesperf.errors import Finding, Level, Location, SalesperfError
from salesperf.sources.models import FileInfo, LoadedSource, Rejection

#: Bump when what is stored, or how, changes: older entries then simply miss.
FORMAT = 2
#: Sources whose files total fewer bytes are parsed every time.
MIN_BYTES = 4 << 20
#: The folder's size limit; least recently used entries go first.
MAX_TOTAL_BYTES = 2 << 30
#: Values of ``SALESPERF_CACHE`` that turn the cache off.
OFF = frozenset({"off", "0", "no", "false", "none"})
_SUFFIX = ".npz"


def cache_dir() -> Path | None:
    """The cache folder, or None when ``SALESPERF_CACHE`` turns it off."""
    setting = os.environ.get("SALESPERF_CACHE", "").strip()
    if setting.lower() in OFF:
        return None
    if setting:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "salesperf"


class CacheError(SalesperfError):
    """The cache folder cannot be trusted: others could forge the numbers it holds."""


def check_trusted(folder: Path) -> None:
    """Raise :class:`CacheError` unless ``folder`` (if it exists) is the user's own and only
    theirs to write. A missing folder is fine: :func:`store` makes it, mode 0700."""
    try:
        link = os.lstat(folder)
        status = os.stat(folder)
    except FileNotFoundError:
        return
    except OSError:
        return  # unreadable: every fetch misses and every store fails, silently
    user = os.geteuid() if hasattr(os, "geteuid") else None
    problems = []
    if user is not None and os.path.islink(folder) and link.st_uid != user:
        problems.append(f"it is a link owned by user id {link.st_uid}")
    if user is not None and status.st_uid != user:
        problems.append(f"it belongs to user id {status.st_uid}, not to you ({user})")
    mode = status.st_mode & 0o777
    if mode & 0o022:
        who = (
            "its group and others"
            if mode & 0o022 == 0o022
            else ("its group" if mode & 0o020 else "others")
        )
        problems.append(f"{who} can write to it (mode {mode:o})")
    if not problems:
        return
    message = (
        f"not using the load cache in {folder}: {'; '.join(problems)}, so anyone with that "
        "access could change the numbers of your next report. Run `chmod 700` on it (as "
        "its owner), point SALESPERF_CACHE at a folder of your own, or set "
        "SALESPERF_CACHE=off"
    )
    raise CacheError(
        "The load cache folder cannot be trusted:",
        [Finding(Level.ERROR, message, Location(str(folder), key="SALESPERF_CACHE"), "cache")],
    )


def source_key(paths: list[Path], shown: list[str], settings: Any) -> tuple[str, list[str]] | None:
    """(cache key, each file's SHA-256) of a source, or None when it is not worth caching
    (cache off, files too small or unreadable: the parse then reports the problem).
    Raises :class:`CacheError` when the cache folder is not the user's alone."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if sum(p.stat().st_size for p in paths) < MIN_BYTES:
            return None
        check_trusted(folder)
        digests = []
        for path in paths:
            with path.open("rb") as handle:
                digests.append(hashlib.file_digest(handle, "sha256").hexdigest())
    except OSError:
        return None
    key = hashlib.sha256()
    versions = f"{FORMAT}\0{__version__}\0{pd.__version__}\0{np.__version__}\0"
    key.update(versions.encode())
    key.update(repr(settings).encode("utf-8", "surrogatepass"))
    for name, digest in zip(shown, digests, strict=True):
        key.update(b"\0" + name.encode("utf-8", "surrogatepass") + b"\0" + digest.encode())
    return key.hexdigest(), digests


def fetch(key: str, name: str) -> LoadedSource | None:
    """The source stored under ``key`` (named ``name``), or None."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{key}{_SUFFIX}"
    try:
        # Opened here, not by np.load, which leaks the handle when the zip is damaged.
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as stored:
            arrays = dict(stored.items())
        expected = arrays.pop("digest").tobytes().decode("ascii")
        if not hmac.compare_digest(expected, _digest(key, arrays)):
            raise ValueError("the entry was changed after it was stored")
        loaded = _decode(arrays, name)
        os.utime(path)  # recently used: evicted last
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or foreign entry: parse instead, and drop it
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return loaded


def store(key: str, loaded: LoadedSource) -> None:
    """Keep ``loaded`` under ``key``; never fails the run."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        arrays = _encode(loaded)
    except _Unsupported:
        return
    arrays["digest"] = np.frombuffer(_digest(key, arrays).encode("ascii"), dtype=np.uint8)
    tmp = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".entry.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)
        os.replace(tmp, folder / f"{key}{_SUFFIX}")
        tmp = None
        _evict(folder)
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _evict(folder: Path) -> None:
    """Remove the least recently used entries until the folder fits its limit."""
    entries = []
    for entry in folder.glob(f"*{_SUFFIX}"):
        with contextlib.suppress(OSError):
            status = entry.stat()
            entries.append((status.st_mtime, status.st_size, entry))
    total = sum(size for _, size, _ in entries)
    for _, size, entry in sorted(entries, key=lambda e: e[0]):
        if total <= MAX_TOTAL_BYTES:
            break
        with contextlib.suppress(OSError):
            entry.unlink()
            total -= size


def _digest(key: str, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the entry's key and of every array's name, type, shape and bytes."""
    digest = hashlib.sha256(f"salesperf-cache\0{FORMAT}\0{key}\0".encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.reshape(-1).view(np.uint8).data)  # datetimes have no buffer format
    return digest.hexdigest()


class _Unsupported(Exception):
    """A column of a kind the cache does not store (the source is then not cached)."""


def _encode(loaded: LoadedSource) -> dict[str, np.ndarray]:
    """Plain arrays (no Python objects) for a loaded source, the header as JSON bytes."""
    frame = loaded.frame
    arrays: dict[str, np.ndarray] = {}
    columns = []
    for i, column in enumerate(frame.columns):
        series = frame[column]
        if column == "_file":
            kind = "file"
            arrays[f"c{i}"] = series.cat.codes.to_numpy(dtype=np.int32)
        elif isinstance(series.dtype, pd.StringDtype):
            kind = "text"
            found = loaded.codes(str(column))
            codes, values = found if found is not None else pd.factorize(series)
            blob, offsets = _pack(list(values))
            arrays[f"c{i}"] = np.asarray(codes, dtype=np.int32)
            arrays[f"c{i}.text"] = blob
            arrays[f"c{i}.offsets"] = offsets
        elif series.dtype.kind in "fiM":
            kind = "array"
            arrays[f"c{i}"] = series.to_numpy()
        else:
            raise _Unsupported(str(series.dtype))
        columns.append({"name": str(column), "kind": kind, "dtype": str(series.dtype)})
    header = {
        "format": FORMAT,
        "rows": len(frame),
        "columns": columns,
        "files": [dataclasses.asdict(f) for f in loaded.files],
        "rejected": [dataclasses.astuple(r) for r in loaded.rejected],
        "warnings": loaded.warnings,
        "coded": sorted(loaded.text_codes),
    }
    text = json.dumps(header, ensure_ascii=False).encode("utf-8", "surrogatepass")
    arrays["header"] = np.frombuffer(text, dtype=np.uint8)
    return arrays


def _decode(arrays: dict[str, np.ndarray], name: str) -> LoadedSource:
    header = json.loads(arrays["header"].tobytes().decode("utf-8", "surrogatepass"))
    if header["format"] != FORMAT:
        raise ValueError("another cache format")
    files = [FileInfo(**f) for f in header["files"]]
    data: dict[str, Any] = {}
    texts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for i, column in enumerate(header["columns"]):
        values = arrays[f"c{i}"]
        if len(values) != header["rows"]:
            raise ValueError("a column of another length")
        if column["kind"] == "file":
            data[column["name"]] = pd.Categorical.from_codes(
                values, categories=[f.path for f in files]
            )
        elif column["kind"] == "text":
            distinct = np.asarray(
                _unpack(arrays[f"c{i}.text"], arrays[f"c{i}.offsets"]), dtype=object
            )
            typed = pd.array(distinct, dtype=column["dtype"])
            data[column["name"]] = typed.take(values.astype(np.intp), allow_fill=True)
            texts[column["name"]] = (values, distinct)
        else:
            data[column["name"]] = values
    # copy=False: the arrays are this frame's alone (a copy was ~0.1 s per million rows).
    frame = pd.DataFrame(data, index=pd.RangeIndex(header["rows"]), copy=False)
    loaded = LoadedSource(
        name,
        frame,
        files,
        [Rejection(*r) for r in header["rejected"]],
        list(header["warnings"]),
    )
    for field in header["coded"]:
        codes, distinct = texts[field]
        loaded.text_codes[field] = (frame[field].array, codes, distinct)
    return loaded


def _pack(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 buffer and the offsets between them."""
    encoded = [str(v).encode("utf-8", "surrogatepass") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _unpack(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    raw = blob.tobytes()
    pairs = itertools.pairwise(offsets.tolist())
    return [raw[a:b].decode("utf-8", "surrogatepass") for a, b in pairs]
