"""
A throwaway Redis server for the tests: C{redis-server} in a temporary
folder, on a free loopback port, nothing saved (C{--save ''}, no AOF),
never the system's service or port 6379.

One server is shared by a whole test run (L{shared}: started on first use,
stopped at exit); a test empties it with L{RedisServer.flush} (its
C{setUp}) so no test sees another's keys. When C{redis-server} is not
installed, L{shared} raises C{SkipTest} saying so (C{.ci/engines} installs
it).

The API, for other test suites and benchmarks::

    server = RedisServer()
    server.start()
    server.url                # redis://127.0.0.1:PORT/0
    server.flush()            # FLUSHALL
    server.command("GET", "k")  # one command, its reply
    server.stop()
"""

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from unittest import SkipTest

#: Where Debian's package puts the server.
BINARY = "/usr/bin/redis-server"


def binary() -> str | None:
    """
    @return: the C{redis-server} program, or C{None} when not installed.
    """
    if os.access(BINARY, os.X_OK):
        return BINARY
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _command(port: int, *words: str, timeout: float = 1.0) -> bytes:
    # One inline command on a fresh connection, its reply's first line.
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(" ".join(words).encode("ascii") + b"\r\n")
        return connection.recv(65536).split(b"\r\n", 1)[0]


class RedisServer:
    """
    One C{redis-server} in a temporary folder of its own.

    @ivar folder: the temporary folder (its log is C{redis.log} there).
    @ivar port: its TCP port on 127.0.0.1 (once started).
    """

    def __init__(self, password: str | None = None, user: str | None = None) -> None:
        """
        @param password: the password every client must give (C{AUTH}),
            or C{None}: none.
        @param user: with C{password}, an ACL user of all rights whose
            password it is (the C{default} user then has none: it is
            disabled).
        """
        self._binary = binary()
        if self._binary is None:
            raise SkipTest("redis-server is not installed (.ci/engines installs it)")
        self.folder = tempfile.mkdtemp(prefix="openocpp-redis-")
        self.port: int | None = None
        self.password = password
        self.user = user
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """
        The C{--bus} URL of the server, C{redis://127.0.0.1:PORT/0}, with
        its credentials (C{redis://[USER]:PASSWORD@...}) when it has some.
        """
        credentials = "" if self.password is None else f"{self.user or ''}:{self.password}@"
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def _credentials(self) -> list[str]:
        if self.password is None:
            return []
        if self.user is None:
            return ["--requirepass", self.password]
        return ["--user", "default", "off", "--user", self.user, "on", f">{self.password}", "~*", "&*", "+@all"]

    def start(self, timeout: float = 10.0) -> None:
        """
        Start the server (again, on the same port once it was started) and
        wait until it answers PING.

        @raise RuntimeError: it did not come up in C{timeout} seconds.
        """
        if self.port is None:
            self.port = _free_port()
        log = open(os.path.join(self.folder, "redis.log"), "ab")
        self._process = subprocess.Popen(
            [
                self._binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self.folder,
                "--daemonize", "no", "--protected-mode", "yes", *self._credentials(),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                # (Asking for credentials is answering too.)
                if _command(self.port, "PING") in (b"+PONG", b"-NOAUTH Authentication required."):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on 127.0.0.1:{self.port}: see {self.folder}/redis.log")

    def command(self, *arguments):
        """
        Run one command on a connection of its own; return its reply (as
        L{openocpp.cluster.resp.ReplyParser} gives it).
        """
        from openocpp.cluster.resp import ReplyParser, encode_command

        parser = ReplyParser()
        commands = [arguments]
        if self.password is not None:
            commands.insert(0, ("AUTH", self.user, self.password) if self.user else ("AUTH", self.password))
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection:
            connection.sendall(b"".join(encode_command(*command) for command in commands))
            replies: list = []
            while len(replies) < len(commands):
                replies.extend(parser.feed(connection.recv(65536)))
            return replies[-1]

    def flush(self) -> None:
        """
        Forget every key (FLUSHALL).
        """
        self.command("FLUSHALL")

    def stop(self) -> None:
        """
        Stop the server (SIGTERM, then SIGKILL after 5 seconds); its port
        stays reserved for L{start}.
        """
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def remove(self) -> None:
        """
        Stop the server and delete its folder.
        """
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


_shared: RedisServer | None = None


def shared() -> RedisServer:
    """
    The server shared by this test run: started on first use, removed at
    exit.

    @raise SkipTest: C{redis-server} is not installed.
    """
    global _shared
    if _shared is None:
        server = RedisServer()
        server.start()
        atexit.register(server.remove)
        _shared = server
    elif _shared._process is None:
        # A test stopped it (Redis lost while running): bring it back.
        _shared.start()
    return _shared
