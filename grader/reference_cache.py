"""Reference answers computed once per checker version (with torch, say) and kept as JSON.

A checker's references are computed in trusted code the first time they are needed, written to
``GRADER_CACHE_DIR/<slug>/reference-<version>.json`` and read from there afterwards, so
that a worker grading a file does not pay for importing torch. The version is a digest of the
checker's folder: editing the starter or the checker makes a new file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

Loaded = TypeVar("Loaded")

_memory: dict[Path, Any] = {}


def reference_cached(
    *, slug: str, version: str, cache_dir: Path, compute: Callable[[], dict[str, Any]],
    load: Callable[[dict[str, Any]], Loaded],
) -> Loaded:
    """``load(document)`` for the cached document, computing and caching it with ``compute()``
    when it is missing or ``load`` refuses it (raises ``ValueError``, ``KeyError`` or ``TypeError``).
    """
    path = Path(cache_dir) / slug / f"reference-{version}.json"
    if path in _memory:
        return _memory[path]
    loaded = _load_file(path, load)
    if loaded is None:
        document = compute()
        loaded = load(document)
        _write_atomically(path, json.dumps(document, indent=1, ensure_ascii=False))
    _memory[path] = loaded
    return loaded


def forget_loaded_references() -> None:
    """Drop what this process holds in memory (tests use it to prove the file is read)."""
    _memory.clear()


def _load_file(path: Path, load: Callable[[dict[str, Any]], Loaded]) -> Loaded | None:
    try:
        return load(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, IndexError):
        return None  # a damaged or outdated cache file is recomputed, never trusted


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".reference-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
