"""burrow pack vs venv-pack, side by side in one run: medians, ratios, archive sizes.

    python benchmarks/bench_pack.py --install-peers ../pack-peers [--large] [--rounds 5]

Two envs are built with burrow and filled with the env's pip from the configured index:
``small`` (about 30 packages) and, with ``--large``, one with numpy, pandas and scipy
(a few hundred MB). Each is packed by ``burrow pack`` and by ``venv-pack`` (installed into
a scratch venv, ``--peers``) ``--rounds`` times. Bars (issue 12): burrow >= 5x faster,
its archive <= 1.10x venv-pack's. burrow's first round packs with a cold cache of compressed
packages (``cold``); the median includes the warm rounds that follow. A report, never a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["requests", "rich", "click", "jinja2", "pyyaml", "attrs", "httpx", "pydantic", "pytest"]
LARGE = ["numpy", "pandas", "scipy"]


def run(*argv: str, env: Dict[str, str] | None = None) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)


def burrow_environ() -> Dict[str, str]:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = str(ROOT / "src")
    return environ


def make_env(where: Path, packages: List[str], python: str) -> Path:
    run(
        sys.executable,
        "-m",
        "burrow",
        "create",
        str(where),
        "-p",
        python,
        "-q",
        env=burrow_environ(),
    )
    run(str(where / "bin" / "python"), "-m", "pip", "install", "-q", *packages)
    return where


def count_files(env: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(env))


def timed(argv: List[str], out: Path, env: Dict[str, str] | None = None) -> float:
    if out.exists():
        out.unlink()
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def bench(env: Path, peers: Path, rounds: int, scratch: Path) -> Dict[str, object]:
    ours, theirs = scratch / "burrow.tar.gz", scratch / "venv-pack.tar.gz"
    # A cache of its own, so the first round is cold whatever ran before.
    environ = burrow_environ()
    environ["BURROW_CACHE_DIR"] = str(scratch / f"cache-{env.name}")
    burrow_cmd = [sys.executable, "-m", "burrow", "pack", str(env), "-o", str(ours), "-q"]
    venv_pack_cmd = [str(peers / "bin" / "venv-pack"), "-p", str(env), "-o", str(theirs), "-q"]
    times: Dict[str, List[float]] = {"burrow": [], "venv-pack": []}
    for _ in range(rounds):  # interleaved, so a busy moment hits both
        times["burrow"].append(timed(burrow_cmd, ours, environ))
        times["venv-pack"].append(timed(venv_pack_cmd, theirs))
    medians = {tool: statistics.median(samples) for tool, samples in times.items()}
    sizes = {"burrow": ours.stat().st_size, "venv-pack": theirs.stat().st_size}
    return {
        "files": count_files(env),
        "env_mb": round(sum(p.stat().st_size for p in env.rglob("*") if p.is_file()) / 1e6, 1),
        "median_s": {k: round(v, 3) for k, v in medians.items()},
        "burrow_cold_s": round(times["burrow"][0], 3),
        "speedup": round(medians["venv-pack"] / medians["burrow"], 2),
        "archive_bytes": sizes,
        "size_ratio": round(sizes["burrow"] / sizes["venv-pack"], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=Path, help="a venv with venv-pack installed")
    parser.add_argument("--install-peers", type=Path, help="create that venv first")
    parser.add_argument("--python", default=sys.executable, help="interpreter of the envs")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--large", action="store_true", help="also numpy, pandas, scipy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    peers = args.install_peers or args.peers
    if peers is None:
        parser.error("--peers or --install-peers is needed")
    if args.install_peers:
        run(sys.executable, "-m", "venv", str(peers))
        run(str(peers / "bin" / "python"), "-m", "pip", "install", "-q", "venv-pack")
    scratch = Path(tempfile.mkdtemp(prefix="bench-pack-"))
    try:
        cases = {"small": SMALL} | ({"large": LARGE} if args.large else {})
        report = {}
        for name, packages in cases.items():
            print(f"== building the {name} env", file=sys.stderr)
            env = make_env(scratch / name, packages, args.python)
            report[name] = bench(env, peers, args.rounds, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"{'env':6} {'files':>6} {'MB':>7} {'cold s':>7} {'burrow s':>9} {'venv-pack s':>12} "
        f"{'speedup':>8} {'size ratio':>10}  bars: speedup >= 5, size <= 1.10"
    )
    for name, row in report.items():
        med = row["median_s"]
        print(
            f"{name:6} {row['files']:>6} {row['env_mb']:>7} {row['burrow_cold_s']:>7} "
            f"{med['burrow']:>9} "  # type: ignore[index]
            f"{med['venv-pack']:>12} {row['speedup']:>8} {row['size_ratio']:>10}"
        )  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
