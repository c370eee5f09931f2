"""API schemas of the evidence vault: what its routes take (they answer its frozen views)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from opsbook.evidence.service import MAX_TEXT


class TransferIn(BaseModel):
    to: str = Field(min_length=1, max_length=MAX_TEXT, description="Who takes custody.")
    purpose: str = Field(min_length=1, max_length=MAX_TEXT, description="What for.")


class DisposeIn(BaseModel):
    purpose: str = Field(min_length=1, max_length=MAX_TEXT, description="Why it is destroyed.")


class VerifyOut(BaseModel):
    ok: bool
    records: int
    root: str
    checkpoints: int
    blobs: int
    problems: list[str] = Field(description="Each problem, first one first: where, then what.")
