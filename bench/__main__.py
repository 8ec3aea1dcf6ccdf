"""Run every benchmark: `python -m bench [name ...]`."""

from __future__ import annotations

import sys

BENCHMARKS: dict[str, str] = {
    "eod": "bench.bench_eod",
    "gateway": "bench.bench_gateway",
    "generate": "bench.bench_generate",
}


def main(argv: list[str]) -> int:
    chosen = argv or sorted(BENCHMARKS)
    for name in chosen:
        module = __import__(BENCHMARKS[name], fromlist=["main"])
        module.main()
    if not chosen:
        print("no benchmarks registered yet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
