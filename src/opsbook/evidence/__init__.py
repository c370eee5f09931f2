"""Evidence: a content-addressed vault and an append-only, hash-chained, signed custody ledger."""
