"""burrow pack, proven on a real Apache Spark standalone cluster on the loopback address.

A Master and one Worker run from the installed pyspark's ``spark-class``; a job ships the
packed env with ``spark.archives=<archive>#environment`` and its function imports a package
only the packed env has. The results, collected from the executors, say which python ran.
With ``--standalone`` the worker runs in a mount namespace where the base interpreter's
directory is an empty one. Under CI=true a missing Java or pyspark fails, never skips.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from helpers import burrow, make_wheel
from pythons import host, in_ci

pytestmark = pytest.mark.slow

#: Long enough for a JVM on a busy machine; only a bound on waiting, never an assertion.
READY_TIMEOUT = 300.0

JOB = """\
import json, sys
from pyspark.sql import SparkSession

def where(_):
    import sys, spark_demo
    return [sys.prefix, sys.executable, spark_demo.VALUE]

spark = SparkSession.builder.appName("burrow-pack").getOrCreate()
rows = spark.sparkContext.parallelize(range(4), 2).map(where).collect()
spark.stop()
with open(sys.argv[1], "w") as out:
    json.dump(rows, out)
"""


def need(what: str, found: object) -> None:
    if not found:
        if in_ci():
            pytest.fail(f"{what} is missing (CI=true: the Spark proof must run)")
        pytest.skip(f"{what} is missing")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"nothing listens on {port}:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process group the JVM (and any executor it started) runs in."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # Executors are children of the worker, in its group: wait until none is left.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        time.sleep(0.2)


class Cluster:
    def __init__(self, root: Path, spark_home: Path) -> None:
        self.root = root
        self.spark_home = spark_home
        self.environ = dict(os.environ)
        self.environ.update(
            SPARK_HOME=str(spark_home),
            SPARK_LOCAL_IP="127.0.0.1",
            SPARK_LOG_DIR=str(root / "logs"),
            SPARK_WORKER_DIR=str(root / "work"),
            SPARK_CONF_DIR=str(root / "conf"),
            PYSPARK_DRIVER_PYTHON=sys.executable,
        )
        self.environ.pop("PYTHONPATH", None)
        (root / "conf").mkdir()
        self.processes: List[subprocess.Popen[bytes]] = []
        self.port = free_port()

    def start_master(self) -> None:
        master = self.start(
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--webui-port",
                str(free_port()),
            ],
        )
        wait_for_port(self.port, master, self.root / "master.log")

    def start(
        self, name: str, args: List[str], wrap: Optional[List[str]] = None
    ) -> subprocess.Popen[bytes]:
        log = self.root / f"{name}.log"
        command = [*(wrap or []), str(self.spark_home / "bin" / "spark-class"), *args]
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                command,
                env=self.environ,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        self.processes.append(proc)
        return proc

    @contextlib.contextmanager
    def worker(self, hide: Optional[str] = None) -> Iterator[Path]:
        """One worker for the length of the block; with ``hide``, that directory is empty
        for the worker and every executor it starts."""
        name = f"worker-{len(self.processes)}"
        work = self.root / name
        work.mkdir()
        wrap = None
        if hide:
            need(
                "root and unshare (to hide the interpreter)",
                os.geteuid() == 0 and shutil.which("unshare"),
            )
            empty = self.root / f"{name}-empty"
            empty.mkdir()
            script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
            wrap = ["unshare", "--mount", "sh", "-c", script, "sh", str(empty), hide]
        port = free_port()
        proc = self.start(
            name,
            [
                "org.apache.spark.deploy.worker.Worker",
                f"spark://127.0.0.1:{self.port}",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(free_port()),
                "--cores",
                "2",
                "--memory",
                "1g",
                "--work-dir",
                str(work),
            ],
            wrap,
        )
        try:
            wait_for_port(port, proc, self.root / f"{name}.log")
            self.wait_registered(name)
            yield work
        finally:
            stop(proc)

    def wait_registered(self, name: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        log = self.root / f"{name}.log"
        while time.monotonic() < deadline:
            if "Successfully registered with master" in log.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise AssertionError(f"{name} never registered:\n{log.read_text()[-3000:]}")

    def submit(
        self, master: str, archive: Optional[Path], python: str, out: Path
    ) -> List[List[str]]:
        job = self.root / "job.py"
        job.write_text(JOB)
        command = [str(self.spark_home / "bin" / "spark-submit"), "--master", master]
        if archive is not None:
            command += ["--conf", f"spark.archives={archive}#environment"]
        command += [
            "--conf",
            f"spark.executorEnv.PYSPARK_PYTHON={python}",
            "--conf",
            f"spark.pyspark.python={python}",
            "--conf",
            f"spark.pyspark.driver.python={sys.executable}",
            str(job),
            str(out),
        ]
        proc = subprocess.run(
            command, env=self.environ, cwd=self.root, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, proc.stderr[-5000:]
        rows: List[List[str]] = json.loads(out.read_text())
        return rows

    def close(self) -> None:
        for proc in reversed(self.processes):
            stop(proc)


def private_spark_home(where: Path) -> Path:
    """The installed pyspark as SPARK_HOME, hard-linked (or copied) outside the interpreter's
    directory, so a worker that cannot see that directory still has Spark."""
    try:
        import pyspark
    except ImportError:
        pyspark = None  # type: ignore[assignment]
    need("pyspark (pip install '.[test]')", pyspark)
    need("java", shutil.which("java"))
    source = Path(pyspark.__file__).parent
    home = where / "spark-home"
    if subprocess.run(["cp", "-al", str(source), str(home)], check=False).returncode:
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(source, home, symlinks=True)
    return home


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("spark")
    spark_home = private_spark_home(root)
    (root / "cluster").mkdir()
    made = Cluster(root / "cluster", spark_home)
    try:
        made.start_master()
        yield made
    finally:
        made.close()  # also when it failed to start half way


@pytest.fixture(scope="module")
def env_with_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark-env")
    env = root / "env"
    burrow("create", str(env), "-p", host(), "-q")
    wheels = root / "wheels"
    make_wheel(wheels, "spark-demo", "2.5")
    subprocess.run(
        [
            str(env / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(wheels),
            "spark-demo",
        ],
        check=True,
    )
    return env


def base_prefix() -> str:
    return subprocess.run(
        [host(), "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def check_rows(rows: List[List[str]], work: Path) -> None:
    assert len(rows) == 4
    for prefix, executable, value in rows:
        assert value == "2.5"
        assert prefix.startswith(str(work) + os.sep) and prefix.endswith(f"{os.sep}environment")
        assert executable.startswith(prefix + os.sep)


def test_executors_run_the_packed_env(
    cluster: Cluster, env_with_demo: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "env.tar.gz"
    burrow("pack", str(env_with_demo), "-o", str(archive))
    with cluster.worker() as work:
        rows = cluster.submit(
            f"spark://127.0.0.1:{cluster.port}",
            archive,
            "./environment/bin/python",
            tmp_path / "out.json",
        )
    check_rows(rows, work)


def test_standalone_archive_runs_where_the_interpreter_is_hidden(
    cluster: Cluster, env_with_demo: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "env.tar.gz"
    burrow("pack", str(env_with_demo), "-o", str(archive), "--standalone")
    with cluster.worker(hide=base_prefix()) as work:
        rows = cluster.submit(
            f"spark://127.0.0.1:{cluster.port}",
            archive,
            "./environment/bin/python",
            tmp_path / "out.json",
        )
    check_rows(rows, work)


def test_local_mode_runs_the_packed_env(
    cluster: Cluster, env_with_demo: Path, tmp_path: Path
) -> None:
    """--master local[2]: the executors are threads of the driver, and its python workers do
    not start where Spark unpacks spark.archives (./environment/bin/python: "Cannot run
    program"); the archive is unpacked once and PYSPARK_PYTHON names it by absolute path."""
    archive = tmp_path / "env.tar.gz"
    burrow("pack", str(env_with_demo), "-o", str(archive))
    unpacked = tmp_path / "environment"
    unpacked.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(unpacked)], check=True)
    python = str(unpacked / "bin" / "python")
    rows = cluster.submit("local[2]", None, python, tmp_path / "out.json")
    assert len(rows) == 4
    for prefix, executable, value in rows:
        assert value == "2.5" and prefix == str(unpacked)
        assert executable.startswith(prefix + os.sep)
