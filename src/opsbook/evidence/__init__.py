"""Evidence: files kept under their SHA-256, so nobody can swap one unnoticed."""
