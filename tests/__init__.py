"""Opsbot's tests (a regular package, so a dependency that ships a top-level `tests` cannot shadow it)."""
