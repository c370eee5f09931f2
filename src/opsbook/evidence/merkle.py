"""RFC 6962 hashing of the custody ledger: leaves, nodes, roots and inclusion proofs.

Pure: bytes in, bytes out. A leaf is SHA-256(0x00 || record bytes), a node
SHA-256(0x01 || left || right), so no leaf can pass for a node (second preimages) and a
signed root over N records commits to exactly those records in that order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def leaf_hash(data: bytes) -> bytes:
    """Return the hash of one record as a leaf of the tree."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an inner node from its two children."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


class RootAccumulator:
    """Roots of every prefix of a ledger, one leaf at a time, in O(log n) memory.

    The tree of n leaves is the perfect subtrees of n's binary digits, largest on the left;
    its root folds them from the right, as RFC 6962's MTH splits at the largest power of 2.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, leaf: bytes) -> None:
        """Append one leaf hash."""
        size, value = 1, leaf
        while self._stack and self._stack[-1][0] == size:
            _, left = self._stack.pop()
            value = node_hash(left, value)
            size *= 2
        self._stack.append((size, value))
        self.size += 1

    def root(self) -> bytes:
        """Return the root of the leaves added so far."""
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def tree_root(leaves: Iterable[bytes]) -> bytes:
    """Return the RFC 6962 root of these leaf hashes."""
    accumulator = RootAccumulator()
    for leaf in leaves:
        accumulator.add(leaf)
    return accumulator.root()


def _split(n: int) -> int:
    """Return the largest power of two below n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """A fixed list of leaves whose subtree roots are kept, so many proofs cost O(n) in all."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self._roots: dict[tuple[int, int], bytes] = {}

    def root(self, low: int = 0, high: int | None = None) -> bytes:
        """Return the root of the leaves in [low, high) (RFC 6962 MTH)."""
        high = len(self.leaves) if high is None else high
        if high - low == 1:
            return self.leaves[low]
        if high == low:
            return EMPTY_ROOT
        found = self._roots.get((low, high))
        if found is None:
            k = _split(high - low)
            found = node_hash(self.root(low, low + k), self.root(low + k, high))
            self._roots[(low, high)] = found
        return found

    def proof(self, index: int) -> list[bytes]:
        """Return the audit path of leaf `index` (RFC 6962 PATH), nearest sibling first."""
        if not 0 <= index < len(self.leaves):
            raise ValueError(f"leaf {index} is not in a tree of {len(self.leaves)}")
        siblings: list[bytes] = []
        low, high = 0, len(self.leaves)
        while high - low > 1:
            k = _split(high - low)
            if index < low + k:
                siblings.append(self.root(low + k, high))
                high = low + k
            else:
                siblings.append(self.root(low, low + k))
                low = low + k
        return siblings[::-1]


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Return the audit path of leaf `index` in the tree of `leaves` (RFC 6962 PATH)."""
    return Tree(leaves).proof(index)


def root_from_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """Return the root the audit path leads to (RFC 9162 2.1.3.2); None if it cannot fit."""
    if not 0 <= index < size:
        return None
    fn, sn, value = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            value = node_hash(value, sibling)
        fn >>= 1
        sn >>= 1
    return value if sn == 0 else None
