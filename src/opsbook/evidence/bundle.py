"""An export bundle: an incident's blobs, its ledger slice with proofs, key and README.

Everything in it can be checked without opsbook: `sha256sum -c SHA256SUMS` for the blobs,
`openssl pkeyutl` for the checkpoint's signature, and the few lines of Python in its README
for the ledger slice (each record's hash, and its inclusion in the signed tree).
"""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
from collections.abc import Sequence
from pathlib import Path

from opsbook.evidence.bundle_readme import README
from opsbook.evidence.checkpoints import Checkpoint, line, message
from opsbook.evidence.merkle import Tree
from opsbook.evidence.names import blob_name


def write_bundle(
    output: Path,
    *,
    blobs: Sequence[tuple[str, Path]],
    lines: Sequence[bytes],
    slice_seqs: Sequence[int],
    mark: Checkpoint,
    public_pem: bytes,
    manifest: dict[str, object],
) -> None:
    """Write the tar whole under a temporary name beside output, then rename it."""
    tree = Tree([bytes.fromhex(raw.split(b" ", 1)[0].decode()) for raw in lines])
    proofs = {
        "size": mark.size,
        "root": mark.root,
        "records": [
            {
                "seq": seq,
                "hash": tree.leaves[seq].hex(),
                "proof": [p.hex() for p in tree.proof(seq)],
            }
            for seq in slice_seqs
        ],
    }
    sums = "".join(f"{sha256}  blobs/{blob_name(sha256)}\n" for sha256, _ in blobs)
    texts: list[tuple[str, bytes]] = [
        ("README.md", README.encode()),
        ("SHA256SUMS", sums.encode()),
        ("ledger.jsonl", b"".join(lines[seq] for seq in slice_seqs)),
        ("proofs.json", json.dumps(proofs, indent=1).encode() + b"\n"),
        ("checkpoint.json", line(mark)),
        ("checkpoint.txt", message(mark.size, mark.root, mark.time)),
        ("checkpoint.sig", base64.b64decode(mark.signature)),
        ("public_key.pem", public_pem),
        ("manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode() + b"\n"),
    ]
    temporary = output.with_name(f".{output.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with tarfile.open(temporary, "w", format=tarfile.PAX_FORMAT) as tar:
            for name, data in texts:
                info = tarfile.TarInfo(f"bundle/{name}")
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                tar.addfile(info, io.BytesIO(data))
            for sha256, path in blobs:
                info = tar.gettarinfo(str(path), f"bundle/blobs/{blob_name(sha256)}")
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o444, 0, 0, "", ""
                with path.open("rb") as source:
                    tar.addfile(info, source)
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
