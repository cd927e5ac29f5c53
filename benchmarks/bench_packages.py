"""Installing a lock: burrow's package engine side by side with uv and pip, in one run.

For each lock (made once with ``uv pip compile --generate-hashes`` from real packages):

1. warm ``burrow create -r LOCK`` vs ``uv venv && uv pip sync LOCK`` vs
   ``python -m venv && pip install --no-deps -r LOCK``;
2. warm no-op ``burrow sync`` vs no-op ``uv pip sync`` of an env that already matches;
3. the first ``python -c "import pandas"`` after creating the env (when the lock has it);
4. the footprint of N envs made from the lock: new disk data per env after the first.

Every tool installs the same wheel files (downloaded once, hash-checked, listed by path
in a derived lock), so the index and the network are out of the measurement; each
tool's own cache is warmed by one untimed run first. Rounds are round-robin with the
starting tool rotating, ``os.sync()`` untimed before each timed run; medians and ratios
against uv are printed. A report, never a test.

    python benchmarks/bench_packages.py --uv ../peers/bin/uv --wheels ./wheels \\
        --workdir /var/tmp/bench one.lock thirty.lock hundred.lock
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def path_lock(lock: Path, wheels: Path, out: Path) -> int:
    """``out``: ``lock``'s pins as the downloaded wheel files, with their sha256."""
    files: Dict[tuple[str, str], Path] = {}
    for wheel in wheels.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        files[(canonical(name), version)] = wheel
    lines = []
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if not match:
            continue
        key = (canonical(match.group(1)), match.group(2))
        if key not in files:
            raise SystemExit(f"no wheel downloaded for {key[0]}=={key[1]}")
        digest = hashlib.sha256(files[key].read_bytes()).hexdigest()
        lines.append(f"{files[key]} --hash=sha256:{digest}")
    out.write_text("\n".join(lines) + "\n")
    return len(lines)


class Tools:
    def __init__(self, uv: str, python: str, work: Path) -> None:
        self.uv, self.python, self.work = uv, python, work
        self.environ = dict(os.environ)
        self.environ["PYTHONPATH"] = str(ROOT / "src")
        self.environ["BURROW_CACHE_DIR"] = str(work / "cache-burrow")
        self.environ["UV_CACHE_DIR"] = str(work / "cache-uv")
        self.environ["PIP_NO_INDEX"] = "1"
        for key in ("PIP_CONSTRAINT", "PIP_FIND_LINKS", "VIRTUAL_ENV"):
            self.environ.pop(key, None)

    def run(self, *command: str) -> None:
        subprocess.run(command, env=self.environ, check=True, capture_output=True)

    def create(self, tool: str, env: Path, lock: Path) -> None:
        if tool == "burrow":
            self.run(self.python, "-m", "burrow", "create", "-q", str(env), "-r", str(lock))
        elif tool == "uv":
            self.run(self.uv, "venv", "-q", "-p", self.python, str(env))
            self.run(self.uv, "pip", "sync", "-q", "--python", str(env / "bin/python"), str(lock))
        else:
            self.run(self.python, "-m", "venv", str(env))
            self.run(
                str(env / "bin/python"), "-m", "pip", "install", "-q", "--no-deps", "-r", str(lock)
            )

    def sync(self, tool: str, env: Path, lock: Path) -> None:
        if tool == "burrow":
            self.run(self.python, "-m", "burrow", "sync", "-q", "-e", str(env), str(lock))
        else:
            self.run(self.uv, "pip", "sync", "-q", "--python", str(env / "bin/python"), str(lock))


def timed(action: Callable[[], None]) -> float:
    os.sync()
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def rounds(
    tools: Sequence[str], count: int, budget: float, measure: Callable[[str], float]
) -> Dict[str, List[float]]:
    """Round-robin samples; a tool past ``budget`` seconds in total stops at 2 samples."""
    samples: Dict[str, List[float]] = {tool: [] for tool in tools}
    for index in range(count):
        order = list(tools[index % len(tools) :]) + list(tools[: index % len(tools)])
        for tool in order:
            if len(samples[tool]) >= 2 and sum(samples[tool]) > budget:
                continue
            samples[tool].append(measure(tool))
    return samples


def report(title: str, samples: Dict[str, List[float]], unit: float = 1000.0) -> None:
    base = statistics.median(samples["uv"]) if samples.get("uv") else None
    print(f"\n{title}")
    for tool, values in samples.items():
        median = statistics.median(values)
        ratio = f"{median / base:5.2f} x uv" if base else ""
        print(f"  {tool:8} {median * unit:9.1f} ms  (n={len(values)})  {ratio}")


def du_kib(path: Path) -> int:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def bench_lock(
    tools: Tools, lock: Path, args: argparse.Namespace, work: Path, creators: List[str]
) -> None:
    local = work / f"{lock.stem}.paths.txt"
    count = path_lock(lock, args.wheels, local)
    print(f"\n=== {lock.name}: {count} distributions ===")
    envs = work / "envs"

    def fresh(tool: str) -> Path:
        shutil.rmtree(envs, ignore_errors=True)
        envs.mkdir()
        return envs / tool

    def create(tool: str) -> float:
        env = fresh(tool)
        return timed(lambda: tools.create(tool, env, local))

    for tool in creators:  # warm every cache, untimed
        tools.create(tool, fresh(tool), local)
    samples = rounds(creators, args.rounds, args.budget, create)
    report(
        "warm create from the lock (burrow create -r | uv venv + uv pip sync | venv + pip)", samples
    )
    matching = {tool: work / f"match-{tool}" for tool in ("burrow", "uv")}
    for tool, env in matching.items():
        shutil.rmtree(env, ignore_errors=True)
        tools.create(tool, env, local)

    def noop(tool: str) -> float:
        return timed(lambda: tools.sync(tool, matching[tool], local))

    report(
        "no-op sync of an env that already matches",
        rounds(["burrow", "uv"], args.rounds * 2, args.budget, noop),
    )
    if "pandas==" in lock.read_text():

        def first_import(tool: str) -> float:
            env = fresh(tool)
            tools.create(tool, env, local)
            return timed(lambda: tools.run(str(env / "bin/python"), "-c", "import pandas"))

        report(
            "first `import pandas` after create",
            rounds(creators, args.rounds, args.budget, first_import),
        )
    if args.footprint_envs and count > 1:
        print(f"\nfootprint: new disk data per env after the first, of {args.footprint_envs}")
        for tool in ("burrow", "uv"):
            place = work / f"footprint-{tool}"
            place.mkdir()
            tools.create(tool, place / "env0", local)
            first = du_kib(place)
            for index in range(1, args.footprint_envs):
                tools.create(tool, place / f"env{index}", local)
            per_env = (du_kib(place) - first) / (args.footprint_envs - 1) / 1024
            print(f"  {tool:8} {per_env:7.2f} MiB per env (first: {first / 1024:.1f} MiB)")
            shutil.rmtree(place)


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("locks", nargs="+", type=Path)
    parser.add_argument("--uv", required=True)
    parser.add_argument("--wheels", required=True, type=Path)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--workdir", type=Path, default=Path("/var/tmp"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--footprint-envs", type=int, default=20)
    parser.add_argument("--no-pip", action="store_true", help="leave pip out (slow)")
    args = parser.parse_args(argv)
    work = args.workdir / f"bench-packages-{os.getpid()}"
    work.mkdir(parents=True)
    tools = Tools(args.uv, args.python, work)
    creators = ["burrow", "uv"] + ([] if args.no_pip else ["pip"])
    try:
        for lock in args.locks:
            bench_lock(tools, lock, args, work, creators)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
