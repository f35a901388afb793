"""Benchmarks of Kiok's memory service; each module prints its numbers (`python -m bench.<name> --help`)."""
