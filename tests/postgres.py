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


def main() -> int:
    def unavailable(why: str) -> int:
        print(f"\nPostgreSQL: NOT TESTED: {why}. The database tests ran on SQLite only.", flush=True)
        return 0

    try:
        import psycopg  # noqa: F401 -- the driver the URL names
    except ImportError:
        return unavailable("the psycopg driver is not installed (pip install 'psycopg[binary]')")
    bindir = _binaries()
    if bindir is None:
        return unavailable("no initdb/pg_ctl on this machine (apt-get install postgresql)")
    owner = None
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            return unavailable("running as root without runuser to start the server as another user")
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return unavailable("running as root and there is no postgres user to run the server")
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
            return unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
        start = subprocess.run(_as_owner([pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o",
                                          f"-p {PORT} -k {folder} -c listen_addresses='' -c fsync=off", "start"],
                                         owner), capture_output=True, text=True, timeout=90, check=False)
        if start.returncode != 0:
            return unavailable(f"the server did not start: {start.stderr.strip()[-300:]}")
        url = f"postgresql+psycopg://postgres@/postgres?host={folder}&port={PORT}"
        version = subprocess.run([os.path.join(bindir, "postgres"), "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
        print(f"\nPostgreSQL: {version}, throwaway server in {folder}; the suite again, on it:", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *sys.argv[1:]],
                                env={**os.environ, "KMREPO_TEST_POSTGRES": url}, check=False)
        print(f"PostgreSQL run: exit {result.returncode} in {time.perf_counter() - started:.0f} s", flush=True)
        return result.returncode
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", data, "-m", "immediate", "stop"], owner), capture_output=True,
                       timeout=60, check=False)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
