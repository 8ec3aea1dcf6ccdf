"""Benchmarks (`make bench`): each prints ratios against a raw baseline from the same run."""
