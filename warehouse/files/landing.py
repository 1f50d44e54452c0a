"""The landing zone: $CRMWH_HOME/landing/<source>/, with _archive/ and _rejected/ inside.

A file is dropped into its source's folder; after the load that took it in has published,
it moves to `_archive/<YYYYMMDD>/` (the business date), or to `_rejected/` with
`<file>.reason.txt` beside it. Names starting with `_` or `.` and partial uploads
(`*.part`, `*.tmp`) are never read.

Corrections: a file named `<stem>.v<N>.<ext>` supersedes the loaded file `<stem>.<ext>` or
any `<stem>.v<M>.<ext>` with M < N of the same family: its rows replace that file's rows.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from warehouse.config import Home
from warehouse.contracts.files import FileFamily, FileSource

ARCHIVE = "_archive"
REJECTED = "_rejected"
_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".reason.txt")
_VERSION = re.compile(r"^(?P<stem>.+?)\.v(?P<n>\d+)(?P<ext>\.[^.]+)$")


@dataclass(frozen=True)
class LandedFile:
    source: str
    family: str | None         # None: the name matches no family of the source
    path: Path
    sha256: str
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def file_sources(sources: dict) -> dict[str, FileSource]:
    return {n: s for n, s in sources.items() if isinstance(s, FileSource)}


def ensure_folders(home: Home, sources: dict) -> None:
    for source in file_sources(sources).values():
        (home.landing / source.source).mkdir(parents=True, exist_ok=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def family_of(source: FileSource, name: str) -> FileFamily | None:
    for family in source.files.values():
        if fnmatch.fnmatchcase(name, family.pattern) or fnmatch.fnmatchcase(
                unversioned(name), family.pattern):
            return family
    return None


def waiting(home: Home, source: FileSource) -> list[Path]:
    """Files waiting in the source's landing folder, by name."""
    folder = home.landing / source.source
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(("_", "."))
                  and not p.name.endswith(_IGNORED_SUFFIXES))


def scan(home: Home, source: FileSource) -> list[LandedFile]:
    out = []
    for path in waiting(home, source):
        family = family_of(source, path.name)
        out.append(LandedFile(source.source, family.name if family else None, path,
                              sha256_of(path), path.stat().st_size))
    return out


def unversioned(name: str) -> str:
    """people_20261124.v2.csv -> people_20261124.csv"""
    match = _VERSION.match(name)
    return match["stem"] + match["ext"] if match else name


def version(name: str) -> int:
    match = _VERSION.match(name)
    return int(match["n"]) if match else 0


def corrected_name(name: str) -> str:
    """The name a correction of file `name` takes so that it supersedes it.

    >>> corrected_name("people_20261124.csv"), corrected_name("people_20261124.v2.csv")
    ('people_20261124.v2.csv', 'people_20261124.v3.csv')
    """
    plain = unversioned(name)
    stem, dot, ext = plain.rpartition(".")
    n = max(2, version(name) + 1)
    return f"{stem}.v{n}.{ext}" if dot else f"{plain}.v{n}"


def supersedes(new: str, old: str) -> bool:
    """Does file `new` correct file `old` (same stem, higher version)?"""
    return unversioned(new) == unversioned(old) and version(new) > version(old)


def archive_dir(home: Home, source: str, day: str) -> Path:
    return home.landing / source / ARCHIVE / day


def rejected_dir(home: Home, source: str) -> Path:
    return home.landing / source / REJECTED


def relative(home: Home, path: Path) -> str:
    try:
        return str(path.relative_to(home.root))
    except ValueError:
        return str(path)
