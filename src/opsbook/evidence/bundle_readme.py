"""The README of an export bundle: how to check it with standard tools, without opsbook."""

README = """# Evidence bundle

This bundle holds evidence from an opsbook evidence vault and the record of who held it.
Check it yourself; you need `sha256sum`, `openssl` (3.0 or later) and Python 3.

- `blobs/sha256/ab/<hash>`: each piece of evidence, named by its SHA-256.
  A directory is a JSON manifest of its files (each also a blob here).
- `SHA256SUMS`: every blob and its hash.
- `ledger.jsonl`: the custody records of this evidence. Each line is
  `<hash> <json>`, where hash = SHA-256(0x00 || json bytes) (an RFC 6962 leaf), and
  each record's `prev` is the hash of the record before it in the whole ledger.
- `proofs.json`: for each record, its RFC 6962 inclusion proof in the signed tree.
- `checkpoint.txt`, `checkpoint.sig`, `checkpoint.json`: the signed head of the ledger
  (size, Merkle root, UTC time), signed with Ed25519.
- `public_key.pem`: the custody key's public half. Compare its SHA-256
  (`sha256sum public_key.pem`) with the key id you were given separately, and the
  checkpoint with any checkpoint you kept before: a rewritten history cannot match both.
- `manifest.json`: what the bundle holds and for which incident.

## 1. The blobs are unchanged

    sha256sum -c --strict SHA256SUMS

## 2. The checkpoint is signed by the custody key

    openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin \\
        -in checkpoint.txt -sigfile checkpoint.sig

It prints `Signature Verified Successfully`.

## 3. Every record is in the signed tree, and names only blobs here

Run this in the bundle's folder (`python3 check.py` after saving it, or paste it into
`python3 -`); it prints `ledger OK` or stops at the first record that is wrong.

```python
import hashlib, json, pathlib

def node(left, right):
    return hashlib.sha256(b"\\x01" + left + right).digest()

def climb(index, size, value, proof):  # RFC 9162 section 2.1.3.2
    fn, sn = index, size - 1
    for sibling in proof:
        assert sn > 0, "proof too long"
        if fn & 1 or fn == sn:
            value = node(sibling, value)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            value = node(value, sibling)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0, "proof too short"
    return value

here = pathlib.Path(".")
size, root, signed_time = (here / "checkpoint.txt").read_text().split("\\n")[1:4]
proofs = json.loads((here / "proofs.json").read_text())
assert (proofs["size"], proofs["root"]) == (int(size), root), "proofs are for another head"
blobs = {}
for row in (here / "SHA256SUMS").read_text().splitlines():
    digest, name = row.split("  ", 1)
    parts = name.split("/")
    assert parts[:2] == ["blobs", "sha256"] and ".." not in parts and len(parts) == 4, name
    blobs[digest] = name
lines = (here / "ledger.jsonl").read_bytes().splitlines()
assert len(lines) == len(proofs["records"]), "a record or a proof is missing"
for line, entry in zip(lines, proofs["records"]):
    own, body = line.split(b" ", 1)
    leaf = hashlib.sha256(b"\\x00" + body).digest()
    record = json.loads(body)
    where = "record %d" % record["seq"]
    assert leaf.hex() == own.decode() == entry["hash"], where + ": hash does not match"
    assert record["seq"] == entry["seq"], where + ": proof is for another record"
    proof = [bytes.fromhex(h) for h in entry["proof"]]
    assert climb(record["seq"], int(size), leaf, proof).hex() == root, where + ": not in tree"
    assert record["sha256"] in blobs, where + ": its evidence is not in the bundle"
print("ledger OK: %d records in the signed tree of %s records, root %s" % (len(lines), size, root))
```
"""
