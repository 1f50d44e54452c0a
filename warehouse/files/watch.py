"""Which landed files are new: the question the Dagster sensor asks every minute.

A file is new when its checksum is not in the durable manifest as taken in (loaded,
duplicate or superseded). Checksums are cached by (path, size, mtime) in a small dict the
caller keeps (the sensor's cursor), so a 100 MB file is hashed once, not every tick.
"""

from __future__ import annotations

import hashlib

from warehouse.config import Home
from warehouse.files import landing, manifest

TAKEN_IN = ("loaded", "duplicate", "superseded")


def new_files(home: Home, sources: dict, cache: dict[str, list] | None = None
              ) -> tuple[list[tuple[str, str, str]], dict[str, list]]:
    """[(source, file name, sha256)] of new files, and the refreshed checksum cache."""
    cache = cache or {}
    fresh: dict[str, list] = {}
    done = {sha for sha, e in manifest.latest_by_checksum(home).items()
            if e.get("status") in TAKEN_IN}
    found = []
    for source in landing.file_sources(sources).values():
        for path in landing.waiting(home, source):
            stat = path.stat()
            key = str(path)
            cached = cache.get(key)
            if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
                sha = cached[2]
            else:
                sha = landing.sha256_of(path)
            fresh[key] = [stat.st_size, stat.st_mtime_ns, sha]
            if sha not in done:
                found.append((source.source, path.name, sha))
    return found, fresh


def run_key(files: list[tuple[str, str, str]]) -> str:
    """The same set of files gives the same key, so it triggers one run only."""
    digest = hashlib.sha256("\n".join(sorted(sha for _, _, sha in files)).encode()).hexdigest()
    return f"landing-{digest[:24]}"
