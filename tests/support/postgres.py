"""A real PostgreSQL for tests: the server named by DATAGRAPH_TEST_POSTGRES_URL, else a throwaway cluster.

The throwaway cluster is made with Debian's binaries (/usr/lib/postgresql/VERSION/bin) in a temporary
folder, listens on a free loopback port only, trusts local connections and is removed at session end.
PostgreSQL refuses to run as root, so under root it runs as the `postgres` system user.
When neither works the tests that need it are skipped, or fail when CI=true or DATAGRAPH_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .services import ServiceUnavailableError, flag_set, free_loopback_port, log_tail, skip_or_fail, stop_process

DEBIAN_INSTALL_ROOT = Path("/usr/lib/postgresql")
DATABASE = "datagraph_test"
SUPERUSER = "postgres"
SERVER_USER = "postgres"
STARTUP_TIMEOUT_S = 60.0
# Durability settings off: the cluster is deleted at exit, and fsyncs would dominate test time.
SERVER_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=50")


@dataclass(frozen=True)
class _RunAs:
    """The user a PostgreSQL process runs as; `None` in its place means the current user."""

    uid: int
    gid: int


@contextlib.contextmanager
def postgres_test_server() -> Iterator[str]:
    """Body of the session fixture: a PostgreSQL URL valid for the whole session."""
    with contextlib.ExitStack() as stack:
        try:
            url = start_postgres(stack)
        except ServiceUnavailableError as error:
            skip_or_fail(error, required=flag_set("CI") or flag_set("DATAGRAPH_REQUIRE_POSTGRES"))
        yield url


def start_postgres(stack: contextlib.ExitStack) -> str:
    """Find or start PostgreSQL; a cluster started here is stopped and deleted when `stack` closes."""
    configured = os.environ.get("DATAGRAPH_TEST_POSTGRES_URL", "").strip()
    if configured:
        return configured
    bin_dir = find_postgres_bin_dir()
    if bin_dir is None:
        raise ServiceUnavailableError(
            f"no PostgreSQL for tests: DATAGRAPH_TEST_POSTGRES_URL is not set and no initdb under {DEBIAN_INSTALL_ROOT}"
        )
    return _start_cluster(stack, bin_dir)


def find_postgres_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL install, else the one whose initdb is on PATH."""
    installs = [path.parent for path in DEBIAN_INSTALL_ROOT.glob("*/bin/initdb")]
    numbered = [path for path in installs if path.parent.name.isdigit()]
    if numbered:
        return max(numbered, key=lambda path: int(path.parent.name))
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def _start_cluster(stack: contextlib.ExitStack, bin_dir: Path) -> str:
    run_as = _server_user()
    root = Path(tempfile.mkdtemp(prefix="datagraph-pg-"))
    stack.callback(shutil.rmtree, root, ignore_errors=True)
    if run_as is not None:
        os.chown(root, run_as.uid, run_as.gid)
    data_dir = root / "data"
    log_path = root / "postgres.log"

    # -N: no fsync of the new cluster, which is thrown away anyway.
    initdb_args = ["-D", str(data_dir), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "-N"]
    _run(bin_dir / "initdb", initdb_args, run_as=run_as, cwd=root)
    port = free_loopback_port()
    settings = [arg for setting in SERVER_SETTINGS for arg in ("-c", setting)]
    with log_path.open("w", encoding="utf-8") as log:
        if run_as is not None:
            os.chown(log_path, run_as.uid, run_as.gid)
        server = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                *("-D", str(data_dir), "-p", str(port), "-k", str(root)),
                *("-c", "listen_addresses=127.0.0.1", *settings),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
            user=run_as.uid if run_as else None,
            group=run_as.gid if run_as else None,
            extra_groups=[] if run_as else None,
        )
    stack.callback(_stop_server, server)
    _wait_until_ready(server, bin_dir, port, log_path)
    createdb_args = ["-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, DATABASE]
    _run(bin_dir / "createdb", createdb_args, run_as=run_as, cwd=root)
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}"


def _server_user() -> _RunAs | None:
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise ServiceUnavailableError(
            f"running as root and no `{SERVER_USER}` user to run PostgreSQL as (it refuses root)"
        ) from None
    return _RunAs(uid=entry.pw_uid, gid=entry.pw_gid)


def _run(program: Path, args: list[str], *, run_as: _RunAs | None, cwd: Path) -> None:
    done = subprocess.run(
        [str(program), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
        user=run_as.uid if run_as else None,
        group=run_as.gid if run_as else None,
        extra_groups=[] if run_as else None,
    )
    if done.returncode != 0:
        output = " | ".join(line for line in (done.stdout + done.stderr).splitlines() if line.strip())
        raise ServiceUnavailableError(f"`{program.name}` failed with code {done.returncode}: {output}")


def _wait_until_ready(server: subprocess.Popen[bytes], bin_dir: Path, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServiceUnavailableError(
                f"postgres exited with code {server.returncode} while starting: {log_tail(log_path)}"
            )
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)], check=False, timeout=10
        )
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise ServiceUnavailableError(
        f"postgres did not accept connections within {STARTUP_TIMEOUT_S:.0f} s: {log_tail(log_path)}"
    )


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    # SIGINT is PostgreSQL's fast shutdown: it ends sessions and exits without waiting for clients.
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
    stop_process(server)
