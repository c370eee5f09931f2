"""RFC 6962 hashing: roots of every size and inclusion proofs, against the definition."""

from __future__ import annotations

import hashlib

from opsbook.evidence.merkle import (
    EMPTY_ROOT,
    RootAccumulator,
    Tree,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_proof,
    tree_root,
)


def mth(leaves: list[bytes]) -> bytes:
    """The Merkle Tree Hash exactly as RFC 6962 section 2.1 defines it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def test_leaves_and_nodes_are_hashed_apart() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert tree_root([]) == EMPTY_ROOT


def test_every_prefix_root_is_the_rfc_root() -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(70)]
    accumulator = RootAccumulator()
    for n, leaf in enumerate(leaves, 1):
        accumulator.add(leaf)
        assert accumulator.root() == mth(leaves[:n]), n


def test_inclusion_proofs_lead_to_the_root_and_only_for_their_leaf() -> None:
    for size in range(1, 34):
        leaves = [leaf_hash(bytes([i])) for i in range(size)]
        root = mth(leaves)
        assert Tree(leaves).root() == root
        for index in range(size):
            proof = inclusion_proof(index, leaves)
            assert root_from_proof(index, size, leaves[index], proof) == root
            other = leaf_hash(b"forged")
            assert root_from_proof(index, size, other, proof) != root
        assert root_from_proof(size, size, leaves[0], []) is None
