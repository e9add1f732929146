"""Benchmarks: how close to the floor formflow runs (issue 7). Run `python bench/run.py`."""
