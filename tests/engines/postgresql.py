"""
A throwaway PostgreSQL server for the tests: initialised in a temporary
folder (as the C{postgres} user when the tests run as root: PostgreSQL
refuses root), listening on a free loopback port and on a unix socket in
that folder, never the system's service or port 5432.

One server is shared by a whole test run (L{shared}: started on first use,
stopped at exit); each test gets a fresh database of its own
(L{fresh_database}: C{CREATE DATABASE}, dropped at cleanup). C{fsync} stays
on, so a durability test that kills the server with SIGKILL and starts it
again (L{PostgreSQLServer.kill}, L{PostgreSQLServer.start}) sees what a
real crash leaves.

When PostgreSQL's binaries are not installed, L{shared} raises
C{SkipTest} saying so (C{.ci/engines} installs them).

The API, for other test suites and benchmarks::

    server = PostgreSQLServer()
    server.start()
    url = server.url_for("mydb")      # postgresql://postgres@127.0.0.1:PORT/mydb
    server.create_database("mydb")
    server.stop()
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from unittest import SkipTest

#: Where Debian's PostgreSQL puts its server binaries (newest first).
BINARY_FOLDERS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")

#: The database user the tests connect as (the superuser initdb makes).
USER = "postgres"


def binaries() -> str | None:
    """
    @return: the folder holding C{initdb} and C{postgres}, or C{None} when
        PostgreSQL is not installed.
    """
    for folder in BINARY_FOLDERS:
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return folder
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgreSQLServer:
    """
    One PostgreSQL server in a temporary folder of its own.

    @ivar folder: the temporary folder (data in C{data/}, the socket and
        the log beside it).
    @ivar port: its TCP port on 127.0.0.1 (also the unix socket's number).
    """

    def __init__(self, fsync: bool = True) -> None:
        """
        @param fsync: PostgreSQL's C{fsync}; keep it on for durability tests.
        """
        self._bin = binaries()
        if self._bin is None:
            raise SkipTest("PostgreSQL is not installed (.ci/engines installs it)")
        self._fsync = fsync
        self._process: subprocess.Popen | None = None
        self.folder = tempfile.mkdtemp(prefix="openocpp-pg-")
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            # PostgreSQL refuses to run as root: the folder is postgres'.
            shutil.chown(self.folder, USER, USER)
        os.chmod(self.folder, 0o700)
        self._run(
            [os.path.join(self._bin, "initdb"), "-D", self.data, "-U", USER, "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        )

    @property
    def data(self) -> str:
        """
        The data folder.
        """
        return os.path.join(self.folder, "data")

    def _run(self, arguments: list[str]) -> None:
        done = subprocess.run(
            arguments, user=USER if self._as_root else None, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"{arguments[0]} failed: {done.stderr.strip()}")

    def start(self, timeout: float = 30.0) -> None:
        """
        Start the server (again, after L{stop} or L{kill}) and wait until it
        accepts connections.
        """
        if self._process is not None and self._process.poll() is None:
            return
        log = open(os.path.join(self.folder, "server.log"), "ab")
        if self._as_root:
            os.chown(log.name, *_ids())
        self._process = subprocess.Popen(
            [os.path.join(self._bin, "postgres"), "-D", self.data, "-k", self.folder,
             "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
             "-c", f"fsync={'on' if self._fsync else 'off'}",
             "-c", "max_connections=200", "-c", "shared_buffers=32MB"],
            user=USER if self._as_root else None,
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"PostgreSQL did not start: see {self.folder}/server.log")
            try:
                import psycopg

                psycopg.connect(self.url_for("postgres"), connect_timeout=2).close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def url_for(self, dbname: str, unix: bool = False) -> str:
        """
        @param unix: through the unix socket (faster) rather than TCP.
        @return: the C{postgresql://} URL of a database of this server
            (the C{--store} value).
        """
        if unix:
            return f"postgresql://{USER}@/{dbname}?host={self.folder}&port={self.port}"
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str) -> None:
        """
        Run one statement outside a transaction (C{CREATE DATABASE}, ...),
        in the C{postgres} database.
        """
        import psycopg

        with psycopg.connect(self.url_for("postgres", unix=True), autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self, dbname: str) -> str:
        """
        Create an empty database.

        @return: its URL (see L{url_for}).
        """
        self.execute(f'CREATE DATABASE "{dbname}"')
        return self.url_for(dbname)

    def drop_database(self, dbname: str) -> None:
        """
        Drop a database, closing the connections left to it.
        """
        self.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    def kill(self) -> None:
        """
        Kill the server with SIGKILL (a crash: nothing is flushed), and
        wait until it is gone.
        """
        if self._process is None:
            return
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()
        self._process = None
        # The postmaster's children die once they see it gone; a restart
        # waits for them through its own lock file check.
        time.sleep(0.2)

    def stop(self) -> None:
        """
        Stop the server (a fast shutdown) and remove its folder.
        """
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(USER)
    return entry.pw_uid, entry.pw_gid


_shared: PostgreSQLServer | None = None


def shared() -> PostgreSQLServer:
    """
    The test run's server: started on first use, stopped when the process
    exits.

    @raise SkipTest: PostgreSQL (or psycopg) is not installed.
    """
    global _shared
    if _shared is None:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise SkipTest("psycopg is not installed (pip install -e '.[postgresql]')")
        server = PostgreSQLServer()
        server.start()
        atexit.register(server.stop)
        _shared = server
    return _shared


def fresh_database(testcase) -> str:
    """
    A new, empty database on the shared server, dropped when the test
    ends.

    @param testcase: the test (its C{addCleanup} drops the database).
    @return: the database's URL.
    """
    server = shared()
    name = "t_" + uuid.uuid4().hex[:16]
    url = server.create_database(name)
    testcase.addCleanup(server.drop_database, name)
    return url
