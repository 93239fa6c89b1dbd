"""Sales and commission arithmetic: pure functions over plain values (no database, no web)."""
