"""Installing a lock: burrow's package engine side by side with uv and pip, in one run.

For each lock (made once with ``uv pip compile --generate-hashes`` from real packages;
typically sets of 1, ~30 and ~100 distributions), each a measurement of ``--only``:

- ``warm``: warm ``burrow create -r LOCK`` vs ``uv venv && uv pip sync LOCK`` vs
  ``python -m venv && pip install --no-deps -r LOCK`` (bar: ≤ 1.0 x uv); burrow links
  the bytecode of its cached entries behind the command, in a detached process: the
  bench waits for it after each sample, untimed, and reports how long that took apart;
- ``cold``: the same with every cache empty (a new scratch cache per sample), the wheels
  still local (bar: ≤ 1.5 x uv); burrow byte-compiles what it built behind the command,
  in a detached process: the bench waits for it after each sample, untimed, and reports
  how long that took apart (uv compiles nothing by default);
- ``noop``: warm no-op ``burrow sync`` vs no-op ``uv pip sync`` (bar: ≤ 50 ms);
- ``import``: the first ``python -c "import pandas"`` in a new env, when the lock has
  pandas (bar: burrow ≥ 2 x faster than in uv's env), once burrow's bytecode is linked;
- ``footprint``: N envs from the lock nearest 30 distributions in one directory: new
  disk data per env after the first (bar: ≤ 1 MiB), and the last env's share of it in
  files of its own (RECORD, INSTALLER, scripts) and in folders.

Every tool installs the same wheel files (downloaded once, hash-checked, listed by path
in a derived lock), so the index and the network are out of the measurement; for the
warm figures each tool's cache is warmed by one untimed run first. Rounds are
round-robin with the starting tool rotating, ``os.sync()`` untimed before each timed
run. Wall and CPU (user + system of the children) medians and ratios against uv are
printed per measurement, then one summary of every lock and measurement with the bars.
A failing tool is a result (``FAILED``), not the end of the run. A report, never a test.

    python benchmarks/bench_packages.py --uv ../peers/bin/uv --wheels ./wheels \\
        --burrow-python clean/bin/python --workdir /var/tmp one.lock thirty.lock hundred.lock
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
MEASUREMENTS = ("warm", "cold", "noop", "import", "footprint")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def path_lock(lock: Path, wheels: Path, out: Path) -> int:
    """``out``: ``lock``'s pins as the downloaded wheel files, with their sha256."""
    files: Dict[Tuple[str, str], Path] = {}
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
            raise SystemExit(f"{lock}: no wheel downloaded for {key[0]}=={key[1]} in {wheels}")
        digest = hashlib.sha256(files[key].read_bytes()).hexdigest()
        lines.append(f"{files[key].resolve()} --hash=sha256:{digest}")
    out.write_text("\n".join(lines) + "\n")
    return len(lines)


class Failed(Exception):
    """A tool's command exited non-zero: its last line of error is the result."""


class Tools:
    def __init__(self, uv: str, python: str, burrow_python: str, work: Path) -> None:
        self.uv, self.python, self.burrow_python, self.work = uv, python, burrow_python, work
        self.environ = dict(os.environ)
        self.environ["PYTHONPATH"] = str(ROOT / "src")
        self.environ["PIP_NO_INDEX"] = "1"
        # A user's environment: bytecode is written (burrow's own modules too), and pip's
        # machine-wide config, constraints and find-links of this host do not apply.
        self.environ["PIP_CONFIG_FILE"] = os.devnull
        for key in ("PYTHONDONTWRITEBYTECODE", "PIP_CONSTRAINT", "PIP_FIND_LINKS", "VIRTUAL_ENV"):
            self.environ.pop(key, None)
        self.use_caches(work / "cache-burrow", work / "cache-uv")

    def use_caches(self, burrow: Path, uv: Path) -> None:
        self.environ["BURROW_CACHE_DIR"] = str(burrow)
        self.environ["UV_CACHE_DIR"] = str(uv)

    def run(self, *command: str, extra: Optional[Dict[str, str]] = None) -> None:
        environ = {**self.environ, **(extra or {})}
        proc = subprocess.run(command, env=environ, capture_output=True, text=True)
        if proc.returncode:
            last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
            raise Failed(f"{Path(command[0]).name} exited {proc.returncode}: {last}")

    def create(self, tool: str, env: Path, lock: Path) -> None:
        if tool in ("burrow", "burrow-nopip", "burrow-behind"):
            # nopip: no pip seeded, as uv venv leaves it; behind: the bytecode linked by a
            # process after the command (BURROW_LINK_BYTECODE_BEHIND=1), not before it ends.
            seed = ["--without-pip"] if tool == "burrow-nopip" else []
            later = {"BURROW_LINK_BYTECODE_BEHIND": "1"} if tool == "burrow-behind" else {}
            self.run(
                self.burrow_python, "-m", "burrow", "create", "-q", *seed, str(env),
                "-r", str(lock), extra=later,
            )  # fmt: skip
        elif tool in ("uv", "uv-pyc"):  # uv-pyc: uv's env with bytecode ready, as burrow's
            compile = ["--compile-bytecode"] if tool == "uv-pyc" else []
            self.run(self.uv, "venv", "-q", "-p", self.python, str(env))
            self.run(
                self.uv, "pip", "sync", "-q", *compile, "--python", str(env / "bin/python"),
                str(lock),
            )  # fmt: skip
        else:
            self.run(self.python, "-m", "venv", str(env))
            self.run(
                str(env / "bin/python"), "-m", "pip", "install", "-q", "--no-deps", "-r", str(lock)
            )

    def wait_for_compile(self) -> Tuple[float, str]:
        """(seconds waited, the job's own log line) until burrow's compile behind the
        commands so far has ended: a sample starts with no compile running."""
        began = time.perf_counter()
        self.run(self.burrow_python, "-c", "from burrow.packages.behind import wait; wait()")
        log = Path(self.environ["BURROW_CACHE_DIR"]) / "compile-jobs" / "last.log"
        return time.perf_counter() - began, log.read_text().strip() if log.exists() else ""

    def sync(self, tool: str, env: Path, lock: Path) -> None:
        if tool == "burrow":
            self.run(self.burrow_python, "-m", "burrow", "sync", "-q", "-e", str(env), str(lock))
        else:
            self.run(self.uv, "pip", "sync", "-q", "--python", str(env / "bin/python"), str(lock))


Sample = Tuple[float, float]  # (wall, CPU of the children) in seconds


def timed(action: Callable[[], None]) -> Sample:
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    action()
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Result:
    """One measurement of one lock: samples per tool, failures, and its bar."""

    def __init__(self, lock: str, count: int, what: str, bar: str) -> None:
        self.lock, self.count, self.what, self.bar = lock, count, what, bar
        self.samples: Dict[str, List[Sample]] = {}
        self.failed: Dict[str, str] = {}
        self.value: Optional[str] = None  # a figure that is not a time (the footprint)
        self.note = ""  # said after the figures, e.g. how long the compile behind took
        self.verdict = ""

    def median(self, tool: str, cpu: bool = False) -> Optional[float]:
        values = [sample[cpu] for sample in self.samples.get(tool, [])]
        return statistics.median(values) if values else None

    def ratio(self, tool: str = "burrow") -> Optional[float]:
        mine, uv = self.median(tool), self.median("uv")
        return mine / uv if mine is not None and uv else None


def rounds(
    result: Result, tools: Sequence[str], count: int, budget: float,
    measure: Callable[[str], Sample],
) -> Result:  # fmt: skip
    """Round-robin samples; a tool past ``budget`` seconds in total stops at 2 samples,
    a tool that fails once is not asked again."""
    for tool in tools:
        result.samples.setdefault(tool, [])
    for index in range(count):
        order = list(tools[index % len(tools) :]) + list(tools[: index % len(tools)])
        for tool in order:
            done = result.samples[tool]
            if tool in result.failed or (len(done) >= 2 and sum(s[0] for s in done) > budget):
                continue
            try:
                done.append(measure(tool))
            except Failed as exc:
                result.failed[tool] = str(exc)
    return result


def show(result: Result) -> None:
    print(f"\n{result.what}")
    for tool, values in result.samples.items():
        if tool in result.failed and not values:
            print(f"  {tool:12} FAILED: {result.failed[tool]}")
            continue
        wall, cpu, ratio = result.median(tool), result.median(tool, cpu=True), result.ratio(tool)
        assert wall is not None and cpu is not None
        versus = f"{ratio:5.2f} x uv" if ratio is not None else ""
        print(
            f"  {tool:12} {wall * 1000:9.1f} ms wall  {cpu * 1000:9.1f} ms CPU  "
            f"(n={len(values)}, min {min(v[0] for v in values) * 1000:.1f})  {versus}"
        )
    if result.note:
        print(f"  {result.note}")


def du_kib(path: Path) -> int:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def own_disk(env: Path) -> Tuple[Tuple[int, int], int]:
    """((folders, their bytes on disk), bytes on disk of the files no other env or cache
    shares: one link only) of ``env``: what each further env costs, and where."""
    folders = [0, 0]
    own = 0
    for root, _dirs, files in os.walk(env):
        st = os.lstat(root)
        folders[0] += 1
        folders[1] += st.st_blocks * 512
        for name in files:
            st = os.lstat(os.path.join(root, name))
            if st.st_nlink == 1:
                own += st.st_blocks * 512
    return (folders[0], folders[1]), own


class Behind:
    """What burrow does behind its commands (compiling new entries, linking bytecode),
    waited for after each of its samples, untimed, so that the next sample starts idle;
    and how long that took, said apart."""

    def __init__(self, tools: Tools) -> None:
        self.tools = tools
        self.waited: List[float] = []
        self.jobs: List[str] = []

    def after(self, tool: str) -> None:
        if tool.startswith("burrow"):
            waited, job = self.tools.wait_for_compile()
            self.waited.append(waited)
            self.jobs.append(job)

    def note(self, what: str) -> str:
        if not self.waited:
            return ""
        return (
            f"{what}, waited for after each sample (a python process that waits on the "
            f"job's lock): median {statistics.median(self.waited) * 1000:.0f} ms "
            f"(n={len(self.waited)}; last job: {self.jobs[-1] or 'no log'})"
        )


class Bench:
    def __init__(self, tools: Tools, args: argparse.Namespace, work: Path) -> None:
        self.tools, self.args, self.work = tools, args, work
        self.creators = ["burrow", "uv"] + ([] if args.no_pip else ["pip"])
        # Context for the warm create and the first import: uv leaving the env in the
        # state burrow leaves it in (every module byte-compiled), which it redoes per env.
        self.with_pyc = [*self.creators, "uv-pyc"]
        # Context for both creates: burrow seeds pip by default, which uv venv does not;
        # `--without-pip` gives uv's end state.
        self.with_pyc.insert(1, "burrow-nopip")
        self.cold_creators = ["burrow", "burrow-nopip", *self.creators[1:]]
        self.results: List[Result] = []
        self.envs = work / "envs"

    def fresh(self, tool: str) -> Path:
        shutil.rmtree(self.envs, ignore_errors=True)
        self.envs.mkdir()
        return self.envs / tool

    def add(self, result: Result) -> Result:
        self.results.append(result)
        show(result)
        return result

    def lock(self, lock: Path, footprint: bool) -> None:
        local = self.work / f"{lock.stem}.paths.txt"
        count = path_lock(lock, self.args.wheels, local)
        print(f"\n=== {lock.name}: {count} distributions ===", flush=True)
        only = self.args.only
        name = lock.name
        if "cold" in only:
            self.cold(name, count, local)
        if "warm" in only:
            self.warm(name, count, local)
        if "noop" in only:
            self.noop(name, count, local)
        if "import" in only and re.search(r"(?m)^pandas==", lock.read_text()):
            self.first_import(name, count, local)
        if "footprint" in only and footprint:
            self.footprint(name, count, local)

    def cold(self, name: str, count: int, local: Path) -> None:
        """Every cache empty, for each sample: a new scratch cache dir per tool and round."""
        serial = iter(range(1_000_000))
        behind = Behind(self.tools)

        def create(tool: str) -> Sample:
            env = self.fresh(tool)
            caches = self.work / "cold"
            shutil.rmtree(caches, ignore_errors=True)
            n = next(serial)
            self.tools.use_caches(caches / f"burrow-{n}", caches / f"uv-{n}")
            try:
                sample = timed(lambda: self.tools.create(tool, env, local))
                behind.after(tool)
                return sample
            finally:
                self.tools.use_caches(self.work / "cache-burrow", self.work / "cache-uv")
                shutil.rmtree(caches, ignore_errors=True)

        result = Result(name, count, "cold create from the lock, every cache empty", "≤ 1.5 x uv")
        rounds(result, self.cold_creators, self.args.cold_rounds, self.args.budget, create)
        result.note = behind.note("burrow's compile behind")
        result.verdict = _verdict(result.ratio(), 1.5)
        self.add(result)

    def warm(self, name: str, count: int, local: Path) -> None:
        behind = Behind(self.tools)

        def create(tool: str) -> Sample:
            env = self.fresh(tool)
            sample = timed(lambda: self.tools.create(tool, env, local))
            behind.after(tool)
            return sample

        result = Result(
            name, count, "warm create from the lock (burrow create -r | uv venv + uv pip sync | "
            "venv + pip)", "≤ 1.0 x uv",
        )  # fmt: skip
        tools = [*self.with_pyc[:2], "burrow-behind", *self.with_pyc[2:]]
        for tool in tools:  # warm every cache, untimed
            try:
                self.tools.create(tool, self.fresh(tool), local)
            except Failed as exc:
                result.failed[tool] = str(exc)
        self.tools.wait_for_compile()  # warm: burrow's entries with their bytecode
        rounds(result, tools, self.args.rounds, self.args.budget, create)
        result.note = behind.note(
            "what burrow left behind the create (nothing, but with BURROW_LINK_BYTECODE_BEHIND=1)"
        )
        result.verdict = _verdict(result.ratio(), 1.0)
        self.add(result)

    def noop(self, name: str, count: int, local: Path) -> None:
        result = Result(name, count, "no-op sync of an env that already matches", "≤ 50 ms")
        matching = {tool: self.work / f"match-{tool}" for tool in ("burrow", "uv")}
        for tool, env in matching.items():
            shutil.rmtree(env, ignore_errors=True)
            try:
                self.tools.create(tool, env, local)
            except Failed as exc:
                result.failed[tool] = str(exc)

        def sync(tool: str) -> Sample:
            return timed(lambda: self.tools.sync(tool, matching[tool], local))

        rounds(result, list(matching), self.args.rounds * 2, self.args.budget, sync)
        for env in matching.values():
            shutil.rmtree(env, ignore_errors=True)
        wall = result.median("burrow")
        result.verdict = "" if wall is None else "PASS" if wall <= 0.050 else "MISS"
        self.add(result)

    def first_import(self, name: str, count: int, local: Path) -> None:
        try:  # burrow's entries with their bytecode, as a warm cache has them
            self.tools.create("burrow", self.fresh("burrow"), local)
            self.tools.wait_for_compile()
        except Failed:
            pass  # said by the round that fails the same way

        def first_import(tool: str) -> Sample:
            env = self.fresh(tool)
            self.tools.create(tool, env, local)
            if tool.startswith("burrow"):
                self.tools.wait_for_compile()  # its bytecode, linked moments after the create
            return timed(lambda: self.tools.run(str(env / "bin/python"), "-c", "import pandas"))

        result = Result(
            name, count, "first `import pandas` in a new env", "≥ 2 x faster than uv's env"
        )
        rounds(result, self.with_pyc, self.args.rounds, self.args.budget, first_import)
        ratio = result.ratio()
        result.verdict = _verdict(ratio, 0.5)
        self.add(result)

    def footprint(self, name: str, count: int, local: Path) -> None:
        envs = self.args.footprint_envs
        result = Result(name, count, f"footprint: new disk data per env after the first, of "
                        f"{envs}", "≤ 1 MiB per env")  # fmt: skip
        figures = []
        for tool in ("burrow", "uv"):
            place = self.work / f"footprint-{tool}"
            shutil.rmtree(place, ignore_errors=True)
            place.mkdir()
            try:
                self.tools.create(tool, place / "env0", local)
                self.tools.wait_for_compile()  # anything burrow left behind the create
                first = du_kib(place)
                for index in range(1, envs):
                    self.tools.create(tool, place / f"env{index}", local)
                    self.tools.wait_for_compile()
                parts = own_disk(place / f"env{envs - 1}")
            except Failed as exc:
                result.failed[tool] = str(exc)
                figures.append(f"{tool} FAILED")
                continue
            finally:
                total = du_kib(place)
                shutil.rmtree(place, ignore_errors=True)
            per_env = (total - first) / (envs - 1) / 1024
            folders, own = parts
            figures.append(
                f"{tool} {per_env:.2f} MiB (first env {first / 1024:.1f} MiB; the last env's: "
                f"{own / 2**20:.2f} MiB in files of its own, {folders[1] / 2**20:.2f} MiB in "
                f"{folders[0]} folders)"
            )
            if tool == "burrow":
                result.verdict = "PASS" if per_env <= 1.0 else "MISS"
        result.value = ", ".join(figures)
        self.results.append(result)
        print(f"\n{result.what}\n  " + "\n  ".join(figures))

    def summary(self) -> None:
        print("\n=== summary (medians; ratios are burrow / uv) ===")
        header = f"{'lock':14} {'n':>4}  {'measurement':44} {'burrow':>10} {'uv':>10} {'pip':>10}"
        print(header + f" {'x uv':>6}  bar")
        for result in self.results:
            what = result.what.split(" (")[0].split(", of")[0][:44]
            if result.value is not None:
                print(f"{result.lock:14} {result.count:4}  {what:44} {result.value}  "
                      f"{result.bar} {result.verdict}")  # fmt: skip
                continue
            cells = []
            for tool in ("burrow", "uv", "pip"):
                wall = result.median(tool)
                cells.append(
                    "FAILED" if tool in result.failed and wall is None
                    else "-" if wall is None else f"{wall * 1000:.0f} ms"
                )  # fmt: skip
            ratio = result.ratio()
            shown = f"{ratio:6.2f}" if ratio is not None else "     -"
            print(f"{result.lock:14} {result.count:4}  {what:44} {cells[0]:>10} {cells[1]:>10} "
                  f"{cells[2]:>10} {shown}  {result.bar} {result.verdict}")  # fmt: skip

    def as_json(self) -> List[Dict[str, object]]:
        return [
            {
                "lock": r.lock, "distributions": r.count, "measurement": r.what, "bar": r.bar,
                "verdict": r.verdict, "value": r.value, "failed": r.failed,
                "samples": {t: [list(s) for s in v] for t, v in r.samples.items()},
            }
            for r in self.results
        ]  # fmt: skip


def _verdict(ratio: Optional[float], bar: float) -> str:
    return "" if ratio is None else "PASS" if ratio <= bar else "MISS"


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("locks", nargs="+", type=Path)
    parser.add_argument("--uv", required=True)
    parser.add_argument("--wheels", required=True, type=Path, help="every pin's wheel file")
    parser.add_argument("--python", default=sys.executable, help="the envs' interpreter")
    parser.add_argument(
        "--burrow-python",
        default=sys.executable,
        help="runs burrow from this checkout: an env with burrow's dependencies only, so "
        "its start-up is not that of an interpreter with many packages and .pth files",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/var/tmp"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cold-rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--footprint-envs", type=int, default=20)
    parser.add_argument(
        "--footprint-lock", help="the lock whose envs are counted (default: nearest 30 pins)"
    )
    parser.add_argument(
        "--only", default=",".join(MEASUREMENTS), help=f"subset of {','.join(MEASUREMENTS)}"
    )
    parser.add_argument("--no-pip", action="store_true", help="leave pip out (slow)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every sample")
    args = parser.parse_args(argv)
    args.only = set(args.only.split(","))
    if args.only - set(MEASUREMENTS):
        parser.error(f"--only: unknown {sorted(args.only - set(MEASUREMENTS))}")
    work = args.workdir / f"bench-packages-{os.getpid()}"
    work.mkdir(parents=True)
    tools = Tools(args.uv, args.python, args.burrow_python, work)
    bench = Bench(tools, args, work)
    footprint_lock = (
        args.footprint_lock
        or min(
            args.locks, key=lambda lock: abs(path_lock(lock, args.wheels, work / "count.txt") - 30)
        ).name
    )
    try:
        for lock in args.locks:
            bench.lock(lock, footprint=lock.name == Path(footprint_lock).name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if bench.results:
            bench.summary()
            if args.json:
                args.json.write_text(json.dumps(bench.as_json(), indent=1))


if __name__ == "__main__":
    main()
