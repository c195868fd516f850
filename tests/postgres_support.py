"""A throwaway PostgreSQL cluster for the tests (a pytest plugin, loaded by ``tests/conftest.py``).

The session fixture ``postgres_cluster`` runs ``initdb`` into a fresh temporary
directory and starts the server on ``127.0.0.1`` on a free port, with its unix
socket in the same directory. PostgreSQL refuses to run as root, so as root
every server command runs as the ``postgres`` system user (``runuser``) in a
directory that user owns. It creates one database, a read-only role, a
read-write role and a small seeded table, then yields a :class:`PostgresCluster`
with their URLs. At the end the server is stopped and the directory removed,
also when a test or the set-up fails.

The function fixture ``postgres`` hands out the same cluster, started again if
an earlier test stopped it (tests may ``stop()`` and ``start()`` it to fake an
outage).

Without PostgreSQL (``/usr/lib/postgresql/*/bin``, from Debian's ``postgresql``
package; ``scripts/provision-postgres.sh`` installs it) the fixtures skip, or
fail when ``MCPGEN_REQUIRE_POSTGRES=1`` (set by ``.ci/run``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server_support import free_port

REQUIRED = os.environ.get("MCPGEN_REQUIRE_POSTGRES", "") not in ("", "0")
DATABASE = "mcpgen_test"
READER = "mcpgen_reader"
WRITER = "mcpgen_writer"

SEED_SQL = """
CREATE TABLE books (
    id integer PRIMARY KEY,
    title text NOT NULL,
    author text NOT NULL,
    price numeric(6, 2) NOT NULL,
    published date,
    added timestamptz NOT NULL DEFAULT '2024-05-01 12:00:00+00',
    ref uuid NOT NULL,
    cover bytea
);
INSERT INTO books (id, title, author, price, published, ref, cover) VALUES
    (1, 'The Left Hand of Darkness', 'Ursula K. Le Guin', 12.50, '1969-03-01',
     '6f1c1d1e-0000-4000-8000-000000000001', '\\x89504e47'),
    (2, 'A Wizard of Earthsea', 'Ursula K. Le Guin', 9.99, '1968-11-01',
     '6f1c1d1e-0000-4000-8000-000000000002', NULL),
    (3, 'Kindred', 'Octavia E. Butler', 14.00, '1979-06-01',
     '6f1c1d1e-0000-4000-8000-000000000003', NULL),
    (4, 'Robert''); DROP TABLE books;--', 'Bobby Tables', 1.00, NULL,
     '6f1c1d1e-0000-4000-8000-000000000004', NULL);
CREATE TABLE big AS SELECT n FROM generate_series(1, 2000) AS n;
"""


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"MCPGEN_REQUIRE_POSTGRES is set but {reason} (run scripts/provision-postgres.sh)")
    pytest.skip(f"PostgreSQL tests skipped: {reason} (run scripts/provision-postgres.sh to enable them)")


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb`` and ``pg_ctl``."""
    candidates = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file()
    ]
    candidates.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1)
    return candidates[-1] if candidates else None


@dataclass
class PostgresCluster:
    """One running (or stopped) throwaway server; URLs connect over TCP to 127.0.0.1."""

    bindir: Path
    root: Path
    port: int
    reader_password: str = field(repr=False)
    writer_password: str = field(repr=False)
    run_as: str | None = None
    """The system user server commands run as (``postgres`` when the tests run as root)."""

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def url(self, role: str = READER, password: str | None = None, database: str = DATABASE) -> str:
        """``postgresql://role:password@127.0.0.1:port/database``; the role's own password by default."""
        if password is None:
            password = self.reader_password if role == READER else self.writer_password
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/{database}"

    @property
    def reader_url(self) -> str:
        return self.url(READER)

    @property
    def writer_url(self) -> str:
        return self.url(WRITER)

    @property
    def admin_conninfo(self) -> str:
        """The bootstrap superuser over the unix socket (trusted: only for set-up and checks)."""
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={DATABASE}"

    def _run(self, args: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n{self._log_tail()}"
            )
        return done

    def _log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def initdb(self) -> None:
        self._run(
            [
                "initdb",
                "--pgdata",
                str(self.data),
                "--username=postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ]
        )

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def start(self) -> None:
        """Start the server and wait until it accepts connections (no-op when running)."""
        if self.running:
            return
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.socket_dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=16MB",
                "-c max_connections=40",
            ]
        )
        self._run(
            [
                "pg_ctl",
                "start",
                "--wait",
                "--timeout=30",
                "-D",
                str(self.data),
                "-l",
                str(self.log_path),
                "-o",
                options,
            ]
        )

    def stop(self) -> None:
        """Stop the server now (``-m fast``: open sessions are terminated), as an outage would."""
        if self.running:
            self._run(["pg_ctl", "stop", "--wait", "--timeout=30", "-D", str(self.data), "-m", "fast"])

    def psql(self, sql: str) -> str:
        """Run SQL as the superuser over the unix socket; returns psql's unaligned output."""
        return self._run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.admin_conninfo, "-c", sql]
        ).stdout.strip()

    def seed(self) -> None:
        self._run(
            [
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.admin_conninfo.replace(DATABASE, "postgres"),
                "-c",
                f"CREATE DATABASE {DATABASE}",
            ]
        )
        self.psql(
            f"""
            CREATE ROLE {READER} LOGIN PASSWORD '{self.reader_password}';
            CREATE ROLE {WRITER} LOGIN PASSWORD '{self.writer_password}';
            REVOKE ALL ON DATABASE {DATABASE} FROM PUBLIC;
            GRANT CONNECT ON DATABASE {DATABASE} TO {READER}, {WRITER};
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            GRANT USAGE ON SCHEMA public TO {READER};
            GRANT ALL ON SCHEMA public TO {WRITER};
            SET ROLE {WRITER};
            {SEED_SQL}
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER};
            """
        )


def _start_cluster() -> PostgresCluster:
    bindir = find_bindir()
    if bindir is None:
        _unavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl)")
        raise AssertionError("unreachable")
    run_as: str | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("the tests run as root and there is no 'postgres' system user to run the server")
            raise
        if shutil.which("runuser") is None:
            _unavailable("the tests run as root and 'runuser' is missing")
        run_as = "postgres"
    # Not under pytest's tmp_path: its parent directories are private to root.
    root = Path(tempfile.mkdtemp(prefix="mcpgen-pg-"))
    if run_as is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = PostgresCluster(
        bindir=bindir,
        root=root,
        port=free_port(),
        # Distinctive values, so a test can prove they never reach a log line.
        reader_password="rd-" + secrets.token_hex(12),
        writer_password="wr-" + secrets.token_hex(12),
        run_as=run_as,
    )
    try:
        cluster.initdb()
        cluster.start()
        cluster.seed()
    except BaseException:
        _destroy(cluster)
        raise
    return cluster


def _destroy(cluster: PostgresCluster) -> None:
    try:
        cluster.stop()
    except (RuntimeError, subprocess.TimeoutExpired):
        pidfile = cluster.data / "postmaster.pid"
        if pidfile.exists():  # our own server, by its pid: stop it without waiting
            with contextlib.suppress(OSError, ValueError, IndexError):
                os.kill(int(pidfile.read_text().splitlines()[0]), 9)
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A started throwaway cluster for the whole run; stopped and removed at the end."""
    cluster = _start_cluster()
    try:
        yield cluster
    finally:
        _destroy(cluster)


@pytest.fixture
def postgres(postgres_cluster: PostgresCluster) -> Iterator[PostgresCluster]:
    """The session cluster, running at the start of the test and again after it."""
    postgres_cluster.start()
    yield postgres_cluster
    postgres_cluster.start()
