"""Run every benchmark: `python -m bench [name ...]`, or one with its options:
`python -m bench day --transactions 1000000 --backend postgresql`."""

from __future__ import annotations

import sys

BENCHMARKS: dict[str, str] = {
    "day": "bench.bench_day",
    "eod": "bench.bench_eod",
    "gateway": "bench.bench_gateway",
    "generate": "bench.bench_generate",
}


USAGE = (
    f"usage: python -m bench [{' | '.join(sorted(BENCHMARKS))} ...]  (none = all)\n"
    "       python -m bench day [--transactions N] [--backend sqlite|postgresql] [--json FILE]"
)


def split_argv(argv: list[str]) -> tuple[list[str], list[str]]:
    """(benchmark names, the options after them): the names run until the first option."""
    for index, word in enumerate(argv):
        if word.startswith("-"):
            return argv[:index], argv[index:]
    return argv, []


def main(argv: list[str]) -> int:
    names, options = split_argv(argv)
    if not names and {"-h", "--help"} & set(options):
        print(USAGE)
        return 0
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown or not names and options:
        print(f"unknown benchmark(s): {', '.join(unknown or options)}\n{USAGE}", file=sys.stderr)
        return 2
    if options and names != ["day"]:
        print(f"options are for `python -m bench day` alone\n{USAGE}", file=sys.stderr)
        return 2
    for name in names or sorted(BENCHMARKS):
        module = __import__(BENCHMARKS[name], fromlist=["main"])
        code = module.main(options) if options else module.main()
        if isinstance(code, int) and code:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
