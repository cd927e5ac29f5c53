#!/usr/bin/env python3
"""Warm `burrow lock` against `uv pip compile --generate-hashes`, `pip-compile
--generate-hashes` and `pip install --dry-run --report`, side by side in one run.

Tools take turns within each round (the first one rotating), every cache is warmed by
one untimed run first, and the report gives medians of wall and CPU time with ratios
against uv. It never asserts. `--cold` times each run with new, empty caches (and no
previous output) instead. `--profile` also profiles one warm in-process lock.

    python -m venv ../peers && ../peers/bin/pip install uv pip-tools
    python benchmarks/bench_lock.py --peers ../peers/bin --index-url https://pypi.org/simple/
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
SET = HERE / "lock-set.in"


def environ(extra: Dict[str, str]) -> Dict[str, str]:
    """The machine's environment without any pip or uv settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # burrow runs from bytecode, as installed
    env["PIP_CONFIG_FILE"] = os.devnull
    env.update(extra)
    return env


def commands(args: argparse.Namespace, work: Path) -> Dict[str, Tuple[List[str], Dict[str, str]]]:
    peers = Path(args.peers) if args.peers else None

    def peer(name: str) -> str:
        return str(peers / name) if peers else name

    url = args.index_url
    found = {
        "burrow": (
            [
                *(args.python, "-m", "burrow", "lock", "-q", "-r", str(SET), "-i", url),
                *("-o", str(work / "burrow.txt")),
            ],
            environ({"PYTHONPATH": str(SRC)}),
        ),
        "uv": (
            [
                *(peer("uv"), "pip", "compile", "-q", "--generate-hashes", str(SET)),
                *("--index-url", url, "-o", str(work / "uv.txt")),
            ],
            environ({}),
        ),
    }
    if "pip-compile" in args.tools:
        found["pip-compile"] = (
            [
                *(peer("pip-compile"), "-q", "--generate-hashes", "--index-url", url),
                *("-o", str(work / "pip-compile.txt"), str(SET)),
            ],
            environ({}),
        )
    if "pip" in args.tools:
        python = peer("python") if peers else sys.executable
        found["pip"] = (
            [
                *(python, "-m", "pip", "install", "-q", "--dry-run", "--ignore-installed"),
                *("--report", str(work / "pip.json"), "--index-url", url, "-r", str(SET)),
            ],
            environ({"PIP_DISABLE_PIP_VERSION_CHECK": "1"}),
        )
    return found


def cold(argv: List[str], env: Dict[str, str], work: Path) -> Tuple[float, float]:
    """`timed` with every tool's caches new and empty, and no output of an earlier run
    (whose pins a re-lock would keep)."""
    for flag, value in zip(argv, argv[1:]):
        if flag in ("-o", "--report"):
            Path(value).unlink(missing_ok=True)
    caches = Path(tempfile.mkdtemp(prefix="caches-", dir=work))
    empty = {
        "XDG_CACHE_HOME": str(caches),
        "BURROW_CACHE_DIR": str(caches / "burrow"),
        "UV_CACHE_DIR": str(caches / "uv"),
        "PIP_CACHE_DIR": str(caches / "pip"),
    }
    try:
        return timed(argv, {**env, **empty})
    finally:
        shutil.rmtree(caches, ignore_errors=True)


def timed(argv: List[str], env: Dict[str, str]) -> Tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def pins(path: Path) -> Dict[str, str]:
    """name -> version of a requirements-format lock."""
    found = {}
    for line in path.read_text("utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, version = line.split(" ")[0].partition("==")
            found[name.split("[")[0].lower()] = version
    return found


def profile(args: argparse.Namespace) -> None:
    """Where one warm in-process lock spends its time (imports done beforehand): a whole
    resolution (a session of its own, which no memo answers), then a remembered one."""
    import cProfile
    import pstats

    sys.path.insert(0, str(SRC))
    os.environ.update(environ({}))
    from burrow.packages.index import Index
    from burrow.packages.locking import Sources, lock
    from burrow.packages.pipconfig import pip_config

    sources = Sources(index_url=args.index_url)
    config = pip_config().replace(index_urls=(args.index_url,))
    lock([SET], sources=sources)  # warm every cache and import everything
    lock([SET], sources=sources)
    for title, session in (("resolved", Index(config)), ("remembered", None)):
        rounds = 5
        start = time.perf_counter()
        for _ in range(rounds):
            lock([SET], sources=sources, index=session)
        took = (time.perf_counter() - start) / rounds * 1000
        print(f"in-process warm lock, {title}: {took:.0f} ms")
        profiler = cProfile.Profile()
        profiler.enable()
        lock([SET], sources=sources, index=session)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-url", default="https://pypi.org/simple/")
    parser.add_argument("--peers", help="bin dir holding uv, pip-compile and python")
    parser.add_argument("--python", default=sys.executable, help="runs burrow")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tools", default="pip-compile,pip", help="slow peers to include")
    parser.add_argument("--cold", action="store_true", help="empty caches for every run")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        profile(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-lock-") as temp:
        work = Path(temp)
        tools = commands(args, work)
        for name, (argv, env) in tools.items() if not args.cold else ():  # untimed
            print(f"warming {name} ...", file=sys.stderr)
            # Twice: the first run writes the output, whose pins the next run keeps (an
            # input of burrow's resolution memo); from the second on, runs repeat.
            timed(argv, env)
            timed(argv, env)
        samples: Dict[str, List[Tuple[float, float]]] = {name: [] for name in tools}
        names = list(tools)
        for number in range(args.rounds):
            order = names[number % len(names) :] + names[: number % len(names)]
            for name in order:
                argv, env = tools[name]
                samples[name].append(cold(argv, env, work) if args.cold else timed(argv, env))
            print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
        same = pins(work / "burrow.txt") == pins(work / "uv.txt")
        count = len(pins(work / "burrow.txt"))
    uv_wall = statistics.median(w for w, _ in samples["uv"])
    uv_cpu = statistics.median(c for _, c in samples["uv"])
    kind = "cold" if args.cold else "warm"
    print(f"{kind} lock of {count} distributions, {args.rounds} rounds, index {args.index_url}")
    print(f"burrow's pins equal uv's: {same}")
    header = ("tool", "wall median", "wall min", "x uv", "cpu median", "x uv")
    print("{:<12} {:>12} {:>9} {:>6} {:>11} {:>6}".format(*header))
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        low = min(w for w, _ in runs)
        print(
            f"{name:<12} {wall * 1000:>10.0f}ms {low * 1000:>7.0f}ms {wall / uv_wall:>6.2f}"
            f" {cpu * 1000:>9.0f}ms {cpu / uv_cpu:>6.2f}"
        )


if __name__ == "__main__":
    main()
