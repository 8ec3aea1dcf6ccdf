"""Benchmarks (`make bench`): each prints a ratio against a raw baseline measured in the same run."""
