"""Benchmarks of the hot paths; run from the repository root (not shipped in the package)."""
