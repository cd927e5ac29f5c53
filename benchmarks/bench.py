#!/usr/bin/env python3
"""Measure burrow against uv, virtualenv and ``python -m venv`` in one run (SPEC §7).

Tools take turns within each round (round-robin, starting tool rotated), so machine
noise hits them alike. The script reports medians, ratios against uv and the §7 bars
with PASS/MISS; it never asserts. Run ``python benchmarks/bench.py --help``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

BURROW, UV, VENV, VIRTUALENV = "burrow", "uv", "venv", "virtualenv"
TOOLS = (BURROW, UV, VENV, VIRTUALENV)
SCENARIOS = ("nopip", "seeded", "pip", "footprint", "startup")

#: SPEC §7: largest allowed ratio of burrow's median to uv's, per timed scenario.
BARS = {"nopip": 1.25, "seeded": 1.0, "pip": 0.6}
#: SPEC §7: new disk data per seeded env after the first.
FOOTPRINT_BAR = 1024 * 1024
#: Imports that cost less than this (cumulative) are left out of the startup report.
IMPORT_FLOOR_US = 1000
COMMAND_TIMEOUT = 300.0
PEERS_HINT = (
    "to measure the peers, install them into a scratch venv:\n"
    "    python -m venv /somewhere/peers && /somewhere/peers/bin/pip install uv virtualenv\n"
    "and pass --peers /somewhere/peers/bin (or let this script do it: --install-peers DIR)"
)

Argv = List[str]
#: Builds the commands of one measured step from the env directory to create.
Steps = Callable[[Path], List[Argv]]


class CommandFailed(Exception):
    """A measured command exited non-zero, timed out, or left no environment behind."""


STARTED = time.perf_counter()


def log(message: str) -> None:
    """Progress on stderr, e.g. ``[  12.3 s] measuring seeded create ...``."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


# --- the tools -------------------------------------------------------------------------


@dataclass
class Tool:
    """One program under test: how to call it and the environment it runs with."""

    name: str
    program: Argv
    env: Dict[str, str]

    def create(self, python: str, target: Path, seed: bool, offline: bool = True) -> Argv:
        """The command creating ``target``, e.g. ``uv venv --seed --offline -p PY DIR``."""
        where = str(target)
        if self.name.startswith(BURROW):
            flags = [] if seed else ["--without-pip"]
            if seed and not offline:
                # Like uv's online warm-up: fetch the newest pip once, so that the offline
                # default (`bundle`, the newest pip on disk) seeds the same pip as uv does.
                flags = ["--pip", "latest"]
            return [*self.program, "create", "-p", python, *flags, where]
        if self.name == UV:
            flags = ["--seed", *(["--offline"] if offline else [])] if seed else []
            return [*self.program, "venv", *flags, "-p", python, where]
        if self.name == VENV:
            return [*self.program, "-m", "venv", *([] if seed else ["--without-pip"]), where]
        return [*self.program, *([] if seed else ["--no-seed"]), "-p", python, where]

    def with_cache(self, cache: Path) -> Tool:
        """The same tool with its cache (or app-data dir) at ``cache``."""
        variable = {
            BURROW: "BURROW_CACHE_DIR",
            UV: "UV_CACHE_DIR",
            VIRTUALENV: "VIRTUALENV_OVERRIDE_APP_DATA",
        }.get(self.name)
        env = dict(self.env)
        if variable:
            env[variable] = str(cache)
        return Tool(self.name, self.program, env)


def base_environment() -> Dict[str, str]:
    """The caller's environment as a user's machine would have it."""
    env = dict(os.environ)
    # Set on some build machines; no user has it, and it hides the cost of writing .pyc.
    for variable in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"):
        env.pop(variable, None)
    # virtualenv and burrow otherwise may start a background update check that adds noise
    # (and could change the pip that later timed runs seed).
    env["VIRTUALENV_NO_PERIODIC_UPDATE"] = "1"
    env["BURROW_NO_PERIODIC_UPDATE"] = "1"
    return env


def bin_dir(env_dir: Path) -> Path:
    """Where a venv keeps its executables, e.g. ``env/bin``."""
    return env_dir / ("Scripts" if os.name == "nt" else "bin")


def env_python(env_dir: Path) -> Path:
    return bin_dir(env_dir) / ("python.exe" if os.name == "nt" else "python")


def find_program(name: str, peers: Optional[Path]) -> Optional[Path]:
    """``name`` in the peers' bin dir when given, else on PATH."""
    if peers is not None:
        for candidate in (peers / name, peers / f"{name}.exe"):
            if candidate.exists():
                return candidate
        return None
    found = shutil.which(name)
    return Path(found) if found else None


def install_peers(where: Path, python: str) -> Path:
    """Create a scratch venv at ``where`` holding uv and virtualenv; return its bin dir."""
    peers = bin_dir(where)
    if find_program(UV, peers) and find_program(VIRTUALENV, peers):
        return peers
    log(f"installing uv and virtualenv into {where} ...")
    env = base_environment()
    subprocess.run([python, "-m", "venv", str(where)], check=True, env=env)
    pip = [str(env_python(where)), "-m", "pip", "install", "--quiet", "uv", "virtualenv"]
    subprocess.run(pip, check=True, env=env)
    return peers


def default_python() -> str:
    """The interpreter running this script, or its base when that is a venv's."""
    if sys.prefix != sys.base_prefix:
        base = getattr(sys, "_base_executable", "")
        if base and Path(base).exists() and Path(base).resolve() != Path(sys.executable).resolve():
            return base
        name = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        candidate = Path(sys.base_prefix) / ("python.exe" if os.name == "nt" else f"bin/{name}")
        if candidate.exists():
            return str(candidate)
    return sys.executable


def version_of(argv: Argv, env: Dict[str, str]) -> str:
    """First line a program prints for ``--version``, e.g. ``uv 0.5.1``."""
    try:
        done = subprocess.run(
            [*argv, "--version"], capture_output=True, text=True, env=env, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unknown ({exc})"
    text = (done.stdout or done.stderr).strip()
    if done.returncode != 0 or not text:
        return "unknown"
    words = text.splitlines()[0].split()
    # "virtualenv 20.26.6 from /path/..." -> "20.26.6"; "uv 0.5.1 (abc 2024-11-01)" -> "0.5.1"
    return words[1] if len(words) > 1 and words[0] in (*TOOLS, "Python") else words[0]


# --- running and timing ----------------------------------------------------------------


def last_line(text: str) -> str:
    """The most telling line of a failed command's output, shortened for a table."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else "no output"
    return line if len(line) <= 140 else line[:137] + "..."


def run_timed(commands: List[Argv], env: Dict[str, str], cwd: Path) -> float:
    """Run ``commands`` one after the other; seconds they took together."""
    elapsed = 0.0
    for argv in commands:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(f"timed out after {COMMAND_TIMEOUT:.0f} s: {argv[0]}") from exc
        except OSError as exc:
            raise CommandFailed(f"cannot run {argv[0]}: {exc}") from exc
        elapsed += time.perf_counter() - start
        if done.returncode != 0:
            why = last_line(done.stderr or done.stdout)
            raise CommandFailed(f"exit {done.returncode}: {why}")
    return elapsed


def run_checked(commands: List[Argv], env: Dict[str, str], cwd: Path) -> float:
    """``run_timed`` whose first command must leave an env at its last argument."""
    elapsed = run_timed(commands, env, cwd)
    if not (cwd / commands[0][-1] / "pyvenv.cfg").is_file():
        raise CommandFailed("exited 0 but wrote no pyvenv.cfg")
    return elapsed


def settle() -> None:
    """Flush what earlier runs wrote (and the removal of their envs), untimed.

    Without it, each run pays for the writeback its predecessor left behind, which on a
    throttled virtual disk costs more than the create itself: a tool that makes more
    directories gets the bigger bill, from whichever tool ran before it.
    """
    if hasattr(os, "sync"):
        os.sync()


def remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


@dataclass
class Series:
    """The samples (seconds) one tool produced in one measurement, or why it stopped."""

    samples: List[float] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def median(self) -> Optional[float]:
        return statistics.median(self.samples) if self.samples else None

    def to_json(self) -> Dict[str, Any]:
        return {
            "n": len(self.samples),
            "median_s": self.median,
            "min_s": min(self.samples) if self.samples else None,
            "samples_s": [round(s, 6) for s in self.samples],
            "error": self.error,
        }


@dataclass
class Limits:
    """How long to keep measuring: rounds, and a per-tool time budget for slow tools."""

    rounds: int
    budget: float
    min_rounds: int = 3

    def enough(self, series: Series) -> bool:
        taken = len(series.samples)
        spent = sum(series.samples)
        return taken >= self.rounds or (taken >= self.min_rounds and spent >= self.budget)


def race(
    steps: Dict[str, Steps],
    tools: Dict[str, Tool],
    limits: Limits,
    scratch: Path,
    warmed: Optional[Dict[str, str]] = None,
) -> Dict[str, Series]:
    """Time each tool's steps round-robin; its env dir is removed between rounds, untimed.

    ``warmed``: the tools already had their untimed first run, mapped to its error if any.
    """
    results = {name: Series() for name in steps}
    for name, error in (warmed or {}).items():
        results[name].error = error or None
    for name, make in steps.items():  # one untimed run each: page cache, interpreter facts
        if warmed is not None:
            break
        target = scratch / f"{name}-warm"
        try:
            run_timed(make(target), tools[name].env, scratch)
        except CommandFailed as exc:
            results[name].error = str(exc)
        remove(target)
    names = list(steps)
    for round_ in range(limits.rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            series = results[name]
            if series.error or limits.enough(series):
                continue
            target = scratch / f"{name}-env"
            settle()
            try:
                series.samples.append(run_checked(steps[name](target), tools[name].env, scratch))
            except CommandFailed as exc:
                series.error = str(exc)
            remove(target)
    return results


# --- the measurements ------------------------------------------------------------------


BURROW_MODULE = "burrow -m"


def with_module_form(tools: Dict[str, Tool]) -> Dict[str, Tool]:
    """Also time `python -m burrow`: the console-script wrapper that pip and installer
    generate imports `re` before a line of burrow runs, which this row leaves out."""
    script = Path(tools[BURROW].program[0])
    python = script.with_name("python.exe" if os.name == "nt" else "python")
    if not python.exists():
        return tools
    module = Tool(BURROW_MODULE, [str(python), "-m", "burrow"], tools[BURROW].env)
    return {BURROW: tools[BURROW], BURROW_MODULE: module, **tools}


def measure_create(
    tools: Dict[str, Tool],
    python: str,
    seed: bool,
    with_pip: bool,
    limits: Limits,
    scratch: Path,
    warmed: Optional[Dict[str, str]] = None,
) -> Dict[str, Series]:
    """Time ``create`` (optionally followed by the env's first ``python -m pip --version``)."""

    def steps_for(tool: Tool) -> Steps:
        def steps(target: Path) -> List[Argv]:
            commands = [tool.create(python, target, seed)]
            if with_pip:
                commands.append([str(env_python(target)), "-m", "pip", "--version"])
            return commands

        return steps

    steps = {name: steps_for(tool) for name, tool in tools.items()}
    return race(steps, tools, limits, scratch, warmed)


def measure_cold(tools: Dict[str, Tool], python: str, scratch: Path) -> Dict[str, Series]:
    """One seeded create per caching tool with an empty cache (uv needs the network here)."""
    results: Dict[str, Series] = {}
    for name, tool in tools.items():
        if name == VENV:
            continue  # no cache: its cold create is its warm one
        cold = tool.with_cache(scratch / f"cold-cache-{name}")
        target = scratch / f"cold-{name}"
        series = Series()
        try:
            series.samples.append(
                run_timed([cold.create(python, target, True, offline=False)], cold.env, scratch)
            )
        except CommandFailed as exc:
            series.error = str(exc)
        remove(target)
        remove(scratch / f"cold-cache-{name}")
        results[name] = series
    return results


def warm_seed_caches(tools: Dict[str, Tool], python: str, scratch: Path) -> Dict[str, str]:
    """One untimed online seeded create per tool so that offline seeding finds its wheels.

    Returns every tool mapped to why its warm-up failed, or to "" when it worked.
    """
    errors: Dict[str, str] = {}
    for name, tool in tools.items():
        target = scratch / f"warm-{name}"
        try:
            run_timed([tool.create(python, target, True, offline=False)], tool.env, scratch)
            errors[name] = ""
            SEEDED_PIP[name] = pip_version(target)
        except CommandFailed as exc:
            errors[name] = f"warm-up {exc}"
        remove(target)
    return errors


#: The pip each tool seeds, e.g. {"uv": "26.3"}: timings compare like with like only if equal.
SEEDED_PIP: Dict[str, str] = {}


def pip_version(env_dir: Path) -> str:
    python = bin_dir(env_dir) / ("python.exe" if os.name == "nt" else "python")
    done = subprocess.run(
        [str(python), "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    words = done.stdout.split()
    return words[1] if done.returncode == 0 and len(words) > 1 else "?"


def disk_usage(root: Path) -> int:
    """Allocated bytes under ``root`` (st_blocks * 512), each inode counted once."""
    inodes: Set[Tuple[int, int]] = set()
    total = 0
    stack = [root]
    while stack:
        current = stack.pop()
        info = current.lstat()
        key = (info.st_dev, info.st_ino)
        if key not in inodes:
            inodes.add(key)
            total += getattr(info, "st_blocks", 0) * 512 or info.st_size
        if current.is_dir() and not current.is_symlink():
            stack.extend(current.iterdir())
    return total


@dataclass
class Footprint:
    """Disk data of ``envs`` seeded envs made by one tool side by side."""

    envs: int = 0
    first: int = 0
    total: int = 0
    seconds: List[float] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def per_env(self) -> Optional[float]:
        """New bytes each env after the first added, on average."""
        return (self.total - self.first) / (self.envs - 1) if self.envs > 1 else None

    def to_json(self) -> Dict[str, Any]:
        return {
            "envs": self.envs,
            "first_env_bytes": self.first,
            "total_bytes": self.total,
            "per_env_after_first_bytes": self.per_env,
            "error": self.error,
        }


def measure_footprint(
    tools: Dict[str, Tool], python: str, count: int, budget: float, scratch: Path
) -> Dict[str, Footprint]:
    """Create up to ``count`` seeded envs per tool in one fresh directory and weigh them."""
    results: Dict[str, Footprint] = {}
    for name, tool in tools.items():
        root = scratch / f"footprint-{name}"
        root.mkdir()
        result = Footprint()
        for index in range(count):
            target = root / f"env-{index:02d}"
            try:
                result.seconds.append(
                    run_timed([tool.create(python, target, True)], tool.env, scratch)
                )
            except CommandFailed as exc:
                result.error = str(exc)
                break
            result.envs += 1
            if index == 0:
                result.first = disk_usage(root)
            # A slow tool that copies everything says as much after a few envs as after 20.
            if result.envs >= 3 and sum(result.seconds) >= budget:
                break
        result.total = disk_usage(root) if result.envs else 0
        log(f"  footprint {name}: {result.envs} envs")
        remove(root)
        results[name] = result
    return results


@dataclass
class Import:
    """One line of ``-X importtime``: module, nesting depth, self and cumulative µs."""

    module: str
    depth: int
    self_us: float
    cumulative_us: float


def parse_importtime(stderr: str) -> List[Import]:
    """Lines like ``import time:   312 |   1045 |   burrow.cli`` → imports in order."""
    imports = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3:
            continue
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        imports.append(Import(name.strip(), max(depth, 0), float(parts[0]), float(parts[1])))
    return imports


def in_import_order(imports: List[Import]) -> List[Import]:
    """``-X importtime`` lists a module after what it imported; put parents first."""
    pending: Dict[int, List[List[Import]]] = {}
    for entry in imports:
        subtree = [entry]
        for child in pending.pop(entry.depth + 1, []):
            subtree += child
        pending.setdefault(entry.depth, []).append(subtree)
    ordered: List[Import] = []
    for depth in sorted(pending):
        for subtree in pending[depth]:
            ordered += subtree
    return ordered


def importtime(
    argv: Argv, env: Dict[str, str], cwd: Path, runs: int, leaves: Optional[Path] = None
) -> Tuple[List[Import], Optional[str]]:
    """Median ``-X importtime`` of ``argv`` over ``runs`` runs after one that writes .pyc.

    ``leaves`` is removed after each run (a created env). Returns imports in import order,
    or why the command failed.
    """
    env = dict(env, PYTHONPROFILEIMPORTTIME="1")
    by_run: List[List[Import]] = []
    for _ in range(runs + 1):
        done = subprocess.run(
            argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
        )
        if leaves is not None:
            remove(leaves)
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if "import time:" not in line]
            return [], f"exit {done.returncode}: {last_line(chr(10).join(lines))}"
        by_run.append(parse_importtime(done.stderr))
    measured = by_run[1:]
    merged = []
    for entry in measured[-1]:
        same = [i for run in measured for i in run if i.module == entry.module]
        merged.append(
            Import(
                entry.module,
                entry.depth,
                statistics.median(i.self_us for i in same),
                statistics.median(i.cumulative_us for i in same),
            )
        )
    return in_import_order(merged), None


def interpreter_of(script: Path) -> Optional[str]:
    """The interpreter a console script's ``#!`` line names, when it is one."""
    try:
        with script.open("rb") as handle:
            first = handle.readline(512).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    return words[0] if words and "python" in Path(words[0]).name else None


def stdlib_names() -> FrozenSet[str]:
    """Top-level stdlib module names when this Python knows them (3.10+), else empty."""
    return frozenset(getattr(sys, "stdlib_module_names", ()))


def measure_startup(
    tools: Dict[str, Tool], python: str, limits: Limits, scratch: Path
) -> Dict[str, Any]:
    """Wall time of ``burrow --help``/``--version`` (interpreter floor beside) and its imports."""
    burrow = tools[BURROW]
    floor_python = interpreter_of(Path(burrow.program[0]))
    commands: Dict[str, Argv] = {
        "burrow --help": [*burrow.program, "--help"],
        "burrow --version": [*burrow.program, "--version"],
    }
    if floor_python:
        commands["python -c pass (burrow's interpreter)"] = [floor_python, "-c", "pass"]
    if UV in tools:
        commands["uv --version"] = [*tools[UV].program, "--version"]
    timings = {label: Series() for label in commands}
    for label, argv in commands.items():  # untimed: writes .pyc
        try:
            run_timed([argv], burrow.env, scratch)
        except CommandFailed as exc:
            timings[label].error = str(exc)
    labels = list(commands)
    for round_ in range(limits.rounds):
        shift = round_ % len(labels)
        for label in labels[shift:] + labels[:shift]:
            if timings[label].error:
                continue
            try:
                timings[label].samples.append(run_timed([commands[label]], burrow.env, scratch))
            except CommandFailed as exc:
                timings[label].error = str(exc)

    baseline: Set[str] = set()
    if floor_python:
        floor, _ = importtime([floor_python, "-c", "pass"], burrow.env, scratch, 3)
        baseline = {i.module for i in floor}
    target = scratch / "importtime-env"
    profiled = {
        "burrow --help": (commands["burrow --help"], None),
        "burrow --version": (commands["burrow --version"], None),
        "burrow create --without-pip": (burrow.create(python, target, seed=False), target),
    }
    imports: Dict[str, Any] = {}
    for label, (argv, leaves) in profiled.items():
        found, error = importtime(argv, burrow.env, scratch, 5, leaves)
        imports[label] = {"modules": [i for i in found if i.module not in baseline], "error": error}
    return {"timings": timings, "imports": imports}


# --- reporting -------------------------------------------------------------------------


TITLES = {
    "nopip": "1. create --without-pip (uv: uv venv; virtualenv: --no-seed)",
    "seeded": "2. create, pip seeded, warm cache (uv: uv venv --seed --offline)",
    "pip": "3. create + first `python -m pip --version` (bytecode readiness)",
}


def ms(seconds: Optional[float]) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def size(n: Optional[float]) -> str:
    if n is None:
        return "-"
    if abs(n) >= 1024 * 1024:
        return f"{n / 1024 / 1024:.2f} MiB"
    return f"{n / 1024:.1f} KiB"


def verdict(value: Optional[float], bar: float) -> str:
    return "-" if value is None else ("PASS" if value <= bar else "MISS")


def ratio(series: Dict[str, Series], name: str) -> Optional[float]:
    mine, uv = series.get(name), series.get(UV)
    if not (mine and uv and mine.median and uv.median):
        return None
    return mine.median / uv.median


def render_timed(key: str, series: Dict[str, Series], cold: Dict[str, Series]) -> List[str]:
    title = f"{TITLES[key]}  [SPEC bar: burrow <= {BARS[key]:.2f} x uv]"
    lines = [title, f"   {'tool':<12}{'n':>4}{'median':>12}{'min':>12}{'x uv':>8}   bar"]
    for name, result in series.items():
        if result.error and not result.samples:
            lines.append(f"   {name:<12}FAILED: {result.error}")
            continue
        factor = ratio(series, name)
        shown = "-" if factor is None else f"{factor:.2f}"
        bar = ""
        if name in (BURROW, BURROW_MODULE):
            bar = f"   <= {BARS[key]:.2f} x uv  {verdict(factor, BARS[key])}"
        low = min(result.samples)
        lines.append(
            f"   {name:<12}{len(result.samples):>4}{ms(result.median):>12}"
            f"{ms(low):>12}{shown:>8}{bar}"
        )
        if result.error:
            lines.append(f"   {'':<12}then FAILED: {result.error}")
    if cold:
        lines.append("   cold cache, one seeded create each (uv downloads pip here):")
        for name, result in cold.items():
            shown = f"FAILED: {result.error}" if result.error else ms(result.median)
            lines.append(f"     {name:<12}{shown}")
    return lines


def render_footprint(results: Dict[str, Footprint], same_fs: bool) -> List[str]:
    lines = [
        "4. footprint: seeded envs side by side in one directory (allocated blocks, "
        "hard links once)",
        f"   {'tool':<12}{'envs':>5}{'first env':>14}{'each after':>14}   bar",
    ]
    for name, result in results.items():
        if not result.envs:
            lines.append(f"   {name:<12}FAILED: {result.error}")
            continue
        bar = ""
        if name == BURROW:
            per_env = result.per_env
            bar = f"   <= 1 MiB  {verdict(per_env, FOOTPRINT_BAR)}"
        lines.append(
            f"   {name:<12}{result.envs:>5}{size(result.first):>14}{size(result.per_env):>14}{bar}"
        )
        if result.error:
            lines.append(f"   {'':<12}then FAILED: {result.error}")
    if not same_fs:
        lines.append("   note: the caches and the envs are on different filesystems")
    return lines


def render_startup(startup: Dict[str, Any]) -> List[str]:
    lines = ["5. startup", f"   {'command':<42}{'n':>4}{'median':>12}{'min':>12}"]
    for label, result in startup["timings"].items():
        if result.error and not result.samples:
            lines.append(f"   {label:<42}FAILED: {result.error}")
            continue
        lines.append(
            f"   {label:<42}{len(result.samples):>4}{ms(result.median):>12}"
            f"{ms(min(result.samples)):>12}"
        )
    stdlib = stdlib_names()
    for label, profile in startup["imports"].items():
        if profile["error"]:
            lines.append(f"   imports of `{label}`: FAILED: {profile['error']}")
            continue
        found: List[Import] = profile["modules"]
        total = sum(i.cumulative_us for i in found if i.depth == 0)
        lines.append(
            f"   imports of `{label}` beyond bare interpreter startup: {len(found)} "
            f"modules, {total / 1000:.1f} ms; those >= {IMPORT_FLOOR_US / 1000:.0f} ms "
            "(cumulative, median; self in brackets):"
        )
        shown = [i for i in found if i.cumulative_us >= IMPORT_FLOOR_US]
        for entry in shown:
            top = entry.module.split(".")[0]
            tag = ""
            if stdlib and top not in stdlib and top != BURROW:
                tag = "  [third-party]"
            lines.append(
                f"     {'  ' * entry.depth}{entry.module:<{40 - 2 * entry.depth}}"
                f"{entry.cumulative_us / 1000:>7.1f} ms  "
                f"({entry.self_us / 1000:.1f}){tag}"
            )
        if not shown:
            lines.append("     (none)")
    return lines


def startup_json(startup: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "timings": {label: s.to_json() for label, s in startup["timings"].items()},
        "imports": {
            label: {"modules": [vars(i) for i in p["modules"]], "error": p["error"]}
            for label, p in startup["imports"].items()
        },
    }


# --- command line ----------------------------------------------------------------------


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds per measurement (15)")
    parser.add_argument(
        "--budget",
        type=float,
        default=10.0,
        help="seconds per tool and measurement after which a slow tool stops once it has 3 "
        "samples (10; 15 for the footprint)",
    )
    parser.add_argument(
        "--python", default=None, help="target interpreter (default: the one running this script)"
    )
    parser.add_argument(
        "--burrow",
        default=None,
        help="interpreter of the env burrow is installed in (its `burrow` console script is "
        "used), or that script, or its bin dir (default: burrow on PATH)",
    )
    parser.add_argument(
        "--peers", type=Path, default=None, help="bin dir holding uv and virtualenv (default: PATH)"
    )
    parser.add_argument(
        "--install-peers",
        type=Path,
        default=None,
        metavar="DIR",
        help="create a scratch venv at DIR with uv and virtualenv and use it",
    )
    parser.add_argument(
        "--footprint-envs", type=int, default=20, help="seeded envs per tool for the footprint (20)"
    )
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to make the scratch dir (default: the system temp dir); "
        "the footprint is measured on its filesystem",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) in --only: {', '.join(sorted(unknown))}")
    return args


def burrow_script(given: Path) -> Optional[Path]:
    """The console script for ``--burrow``: an interpreter's sibling, a bin dir's, or itself."""
    if given.is_dir():
        return find_program(BURROW, given)
    if "python" in given.name.lower():
        return find_program(BURROW, given.parent)
    return given


def find_tools(args: argparse.Namespace, python: str, env: Dict[str, str]) -> Dict[str, Tool]:
    tools: Dict[str, Tool] = {}
    burrow = burrow_script(Path(args.burrow)) if args.burrow else find_program(BURROW, None)
    if burrow is None or not burrow.exists():
        sys.exit("error: no burrow console script found; pass --burrow PATH")
    tools[BURROW] = Tool(BURROW, [str(burrow)], env)
    peers = args.peers
    if args.install_peers is not None:
        peers = install_peers(args.install_peers.absolute(), python)
    uv = find_program(UV, peers)
    if uv is not None:
        tools[UV] = Tool(UV, [str(uv)], env)
    tools[VENV] = Tool(VENV, [python], env)
    virtualenv = find_program(VIRTUALENV, peers)
    if virtualenv is not None:
        tools[VIRTUALENV] = Tool(VIRTUALENV, [str(virtualenv)], env)
    missing = [name for name in (UV, VIRTUALENV) if name not in tools]
    if missing:
        log(f"warning: not found: {', '.join(missing)}; {PEERS_HINT}")
    return tools


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    python = args.python or default_python()
    env = base_environment()
    scratch = Path(tempfile.mkdtemp(prefix="burrow-bench-", dir=args.workdir)).absolute()
    try:
        return run(args, python, env, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, python: str, env: Dict[str, str], scratch: Path) -> int:
    found = find_tools(args, python, env)
    caches = scratch / "caches"
    caches.mkdir()
    tools = {name: tool.with_cache(caches / name) for name, tool in found.items()}
    only = args.only.split(",")
    limits = Limits(rounds=args.rounds, budget=args.budget)
    meta = {
        "python": python,
        "python_version": version_of([python], env),
        "versions": {
            name: version_of(tool.program, tool.env) for name, tool in tools.items() if name != VENV
        },
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "budget_s": args.budget,
        "missing_peers": [name for name in (UV, VIRTUALENV) if name not in tools],
    }
    meta["versions"][VENV] = meta["python_version"]
    log(f"burrow bench: {meta['python_version']}, tools: {', '.join(tools)}; scratch {scratch}")
    report: Dict[str, Any] = {"meta": meta}
    lines: List[str] = []

    if "nopip" in only:
        log("measuring create --without-pip ...")
        nopip = measure_create(with_module_form(tools), python, False, False, limits, scratch)
        report["nopip"] = {name: s.to_json() for name, s in nopip.items()}
        report["nopip"]["burrow_vs_uv"] = ratio(nopip, BURROW)
        report["nopip"]["burrow_module_vs_uv"] = ratio(nopip, BURROW_MODULE)
        lines += [*render_timed("nopip", nopip, {}), ""]
    if {"seeded", "pip", "footprint"} & set(only):
        cold: Dict[str, Series] = {}
        if "seeded" in only:
            log("measuring one cold-cache seeded create ...")
            cold = measure_cold(tools, python, scratch)
        log("warming the seed caches ...")
        warmed = warm_seed_caches(tools, python, scratch)
        report["meta"]["seeded_pip"] = dict(SEEDED_PIP)
        if "seeded" in only:
            log("measuring seeded create ...")
            seeded = measure_create(tools, python, True, False, limits, scratch, warmed)
            report["seeded"] = {name: s.to_json() for name, s in seeded.items()}
            report["seeded"]["burrow_vs_uv"] = ratio(seeded, BURROW)
            report["seeded_cold"] = {name: s.to_json() for name, s in cold.items()}
            lines += [*render_timed("seeded", seeded, cold), ""]
        if "pip" in only:
            log("measuring create + pip --version ...")
            pip = measure_create(tools, python, True, True, limits, scratch, warmed)
            report["pip"] = {name: s.to_json() for name, s in pip.items()}
            report["pip"]["burrow_vs_uv"] = ratio(pip, BURROW)
            lines += [*render_timed("pip", pip, {}), ""]
        if "footprint" in only:
            log("measuring footprint ...")
            footprint = measure_footprint(
                tools, python, args.footprint_envs, args.budget * 1.5, scratch
            )
            same_fs = all(
                (caches / name).stat().st_dev == scratch.stat().st_dev
                for name in tools
                if (caches / name).exists()
            )
            report["footprint"] = {name: f.to_json() for name, f in footprint.items()}
            report["footprint"]["same_filesystem"] = same_fs
            lines += [*render_footprint(footprint, same_fs), ""]
    if "startup" in only:
        log("measuring startup ...")
        startup = measure_startup(tools, python, limits, scratch)
        report["startup"] = startup_json(startup)
        lines += render_startup(startup)

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        versions = ", ".join(f"{name} {meta['versions'][name]}" for name in tools)
        print(
            f"target: {meta['python_version']} ({python}); {meta['platform']}, "
            f"{meta['cpus']} CPUs; rounds {args.rounds}"
        )
        print(f"versions: {versions}")
        if SEEDED_PIP:
            print("pip seeded: " + ", ".join(f"{k} {v}" for k, v in SEEDED_PIP.items()))
        missing = [name for name in (UV, VIRTUALENV) if name not in tools]
        if missing:
            print(f"not measured: {', '.join(missing)} (not found); {PEERS_HINT}")
        print()
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
