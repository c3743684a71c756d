"""In-memory twin of the artifact store port (the real one is engine.drift.serving.MlflowArtifacts)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from engine.errors import InvalidInput


class MemoryArtifacts:
    """Run artifacts held as bytes; `download` writes them to a temporary directory, as MLflow does."""

    def __init__(self, files: dict[tuple[str, str], bytes] | None = None) -> None:
        self.files = dict(files or {})
        self.cache_dir = tempfile.mkdtemp(prefix="opsbot-memory-artifacts-")

    def add(self, run_id: str, path: str, data: bytes) -> None:
        """Store the artifact `path` of run `run_id` (seeding, not part of the port)."""
        self.files[(run_id, path)] = data

    async def download(self, run_id: str, path: str) -> str:
        """Return a local path holding the artifact `path` of run `run_id`."""
        if (run_id, path) not in self.files:
            raise InvalidInput(f"artifact `{path}` of run {run_id}: no such artifact",
                               hint="check drift.models.<model>.reference.mlflow_artifact")
        dst = Path(self.cache_dir, run_id, path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(self.files[(run_id, path)])
        return str(dst)

    def close(self) -> None:
        """Remove the downloaded artifacts."""
        shutil.rmtree(self.cache_dir, ignore_errors=True)
