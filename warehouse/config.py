"""Where state lives: one home folder (CRMWH_HOME) holds sources, snapshots, Dagster and logs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO_ROOT / "schemas"
SOURCES_DIR = SCHEMAS_DIR / "sources"
MODEL_DIR = SCHEMAS_DIR / "warehouse"


@dataclass(frozen=True)
class Home:
    """The folder layout under CRMWH_HOME; every path the warehouse writes is derived here."""

    root: Path

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def snapshots(self) -> Path:
        return self.root / "warehouse" / "snapshots"

    @property
    def pointer(self) -> Path:
        return self.root / "warehouse" / "current.json"

    @property
    def work(self) -> Path:
        return self.root / "warehouse" / "work"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def dagster(self) -> Path:
        return self.root / "dagster"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    def ensure(self) -> Home:
        for path in (self.sources, self.snapshots, self.work, self.landing, self.dagster,
                     self.logs, self.docs):
            path.mkdir(parents=True, exist_ok=True)
        instance_yaml = self.dagster / "dagster.yaml"
        template = REPO_ROOT / "dagster.yaml"
        if template.exists() and (not instance_yaml.exists()
                                  or instance_yaml.read_bytes() != template.read_bytes()):
            instance_yaml.write_bytes(template.read_bytes())
        return self


def home(path: str | os.PathLike[str] | None = None) -> Home:
    """The home folder: the argument, else $CRMWH_HOME, else `.crmwh` in the repository."""
    chosen = path or os.environ.get("CRMWH_HOME") or REPO_ROOT / ".crmwh"
    return Home(Path(chosen).expanduser().resolve()).ensure()
