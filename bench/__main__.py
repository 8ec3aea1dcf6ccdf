"""Run every benchmark: `python -m bench [name ...]`."""

from __future__ import annotations

import sys

BENCHMARKS: dict[str, str] = {
    "eod": "bench.bench_eod",
    "gateway": "bench.bench_gateway",
    "generate": "bench.bench_generate",
}


USAGE = f"usage: python -m bench [{' | '.join(sorted(BENCHMARKS))} ...]  (none = all)"


def main(argv: list[str]) -> int:
    if {"-h", "--help"} & set(argv):
        print(USAGE)
        return 0
    unknown = [name for name in argv if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}\n{USAGE}", file=sys.stderr)
        return 2
    for name in argv or sorted(BENCHMARKS):
        module = __import__(BENCHMARKS[name], fromlist=["main"])
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
