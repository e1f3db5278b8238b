"""Run the test suite again on a throwaway PostgreSQL server: ``python -m tests.postgres``.

`make test` (and so `.ci/run`) runs it after the SQLite run. The server comes from the
machine's own binaries (``initdb`` + ``pg_ctl``, PostgreSQL 13 or later, found on PATH or under
/usr/lib/postgresql/*/bin), in a temporary folder, on a Unix socket only (no port is
opened), as the ``postgres`` user when run as root (``initdb`` refuses root). Every test
gets a fresh database of it (``KMREPO_TEST_POSTGRES``, tests/conftest.py). The server
and its folder are removed afterwards.

When PostgreSQL cannot be had (no binaries, no psycopg, the server does not start) the
run says so plainly, says the tests ran on SQLite only, and exits 0; a test that fails
on PostgreSQL fails the run.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

PORT = "54329"


def _binaries() -> str | None:
    """The folder of ``initdb`` and ``pg_ctl``, newest version first."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return os.path.dirname(found)
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.path.exists(os.path.join(folder, "initdb")):
            return folder
    return None


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


class Unavailable(Exception):
    """PostgreSQL cannot be had on this machine; the message says why."""


@contextmanager
def throwaway_server(port: str = PORT) -> Iterator[str]:
    """Start a PostgreSQL server in a temporary folder (socket only), yield its URL
    (``postgresql+psycopg://postgres@/postgres?host=…&port=…``), then stop it and remove
    the folder. Raises :class:`Unavailable` when it cannot be started. Also used by
    ``bench/`` to measure the postgres backend."""
    try:
        import psycopg  # noqa: F401 -- the driver the URL names
    except ImportError:
        raise Unavailable("the psycopg driver is not installed (pip install 'psycopg[binary]')") from None
    bindir = _binaries()
    if bindir is None:
        raise Unavailable("no initdb/pg_ctl on this machine (apt-get install postgresql)")
    owner = None
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            raise Unavailable("running as root without runuser to start the server as another user")
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no postgres user to run the server") from None
        owner = "postgres"
    folder = tempfile.mkdtemp(prefix="kmrepo-pg-")
    if owner:
        shutil.chown(folder, owner)
    data = os.path.join(folder, "data")
    log = os.path.join(folder, "server.log")
    pg_ctl = os.path.join(bindir, "pg_ctl")
    try:
        init = subprocess.run(_as_owner([os.path.join(bindir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                                         "-E", "UTF8", "--no-locale"], owner),
                              capture_output=True, text=True, timeout=120, check=False)
        if init.returncode != 0:
            raise Unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
        start = subprocess.run(_as_owner([pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o",
                                          f"-p {port} -k {folder} -c listen_addresses='' -c fsync=off", "start"],
                                         owner), capture_output=True, text=True, timeout=90, check=False)
        if start.returncode != 0:
            raise Unavailable(f"the server did not start: {start.stderr.strip()[-300:]}")
        version = subprocess.run([os.path.join(bindir, "postgres"), "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
        print(f"\nPostgreSQL: {version}, throwaway server in {folder}", flush=True)
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", data, "-m", "immediate", "stop"], owner), capture_output=True,
                       timeout=60, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    try:
        with throwaway_server() as url:
            print("The suite again, on it (the search index in it too):", flush=True)
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *sys.argv[1:]],
                                    env={**os.environ, "KMREPO_TEST_POSTGRES": url}, check=False)
            print(f"PostgreSQL run: exit {result.returncode} in {time.perf_counter() - started:.0f} s", flush=True)
            return result.returncode
    except Unavailable as why:
        print(f"\nPostgreSQL: NOT TESTED: {why}. The database tests ran on SQLite only.", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
