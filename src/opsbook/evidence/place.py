"""Where a runbook's evidence lives, and the parts of an evidence directory.

`evidence_dir` in the front matter (relative to the runbook's folder), else `evidence/`
under the state directory ($OPSBOOK_HOME, else `.opsbook/` beside the runbook).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsbook.errors import BadInput
from opsbook.evidence.ledger import Ledger
from opsbook.evidence.signing import Keys
from opsbook.evidence.vault import Vault
from opsbook.store.database import state_dir


def evidence_root(
    runbook_path: Path, settings: Mapping[str, Any], environ: Mapping[str, str]
) -> Path:
    """Return the evidence directory of a runbook."""
    written = settings.get("evidence_dir")
    if written is None:
        return state_dir(runbook_path, environ) / "evidence"
    if not isinstance(written, str) or not written.strip() or "\x00" in written:
        raise BadInput(
            f"{runbook_path}: front matter `evidence_dir` must be a folder's path",
            "for example `evidence_dir: /srv/evidence`",
        )
    path = Path(written).expanduser()
    return path if path.is_absolute() else runbook_path.resolve().parent / path


@dataclass(frozen=True)
class EvidenceDir:
    """The blobs, the ledger, the kept checkpoints and the key of one evidence directory."""

    root: Path

    @property
    def vault(self) -> Vault:
        return Vault(self.root)

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.root / "ledger.jsonl")

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints.jsonl"

    @property
    def keys(self) -> Keys:
        return Keys(self.root / "keys")
