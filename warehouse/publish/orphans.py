"""Files a killed load or publish leaves behind: build files and pointer temp files."""

from __future__ import annotations

import os
import re
from pathlib import Path

from warehouse.publish.builds import parse_build_name, pid_alive
from warehouse.publish.probe import in_use

# atomic_write_text's temp names: .<name>.<pid>.<hex>.tmp
_TEMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)\.[0-9a-f]+\.tmp$")


def orphan_builds(work: Path) -> list[Path]:
    """Build files (with .wal/.tmp siblings) whose loader is dead and that nobody has open.

    Files of this process are never orphans: a build may be in progress here.
    """
    found: list[Path] = []
    for path in sorted(work.iterdir()) if work.is_dir() else ():
        parsed = parse_build_name(path)
        if parsed is None:
            continue
        main, pid = parsed
        if pid == os.getpid() or pid_alive(pid):
            continue
        if main.exists() and in_use(main):
            continue
        found.append(path)
    return found


def orphan_temp_files(folder: Path) -> list[Path]:
    """Pointer temp files whose writer died between writing and renaming them."""
    found: list[Path] = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        match = _TEMP_NAME.match(path.name)
        if match and int(match["pid"]) != os.getpid() and not pid_alive(int(match["pid"])):
            found.append(path)
    return found
