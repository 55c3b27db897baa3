"""
Child processes of the engines and nodes a cluster test (or
C{deploy/run-local-cluster}) starts: a free loopback port for each, a wait
until a port answers, and a child that dies with its parent and is stopped
with SIGTERM, then SIGKILL when it does not go.
"""

import ctypes
import os
import signal
import socket
import subprocess
import time

#: Linux's prctl option asking a signal when the parent dies.
_PR_SET_PDEATHSIG = 1


class EngineError(Exception):
    """
    An engine or node did not start: the message is one line saying which
    and why (with the end of its log).
    """


def free_port(host: str = "127.0.0.1") -> int:
    """
    A TCP port free on C{host} now (the kernel's choice), for a child to
    listen on.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def answers(host: str, port: int) -> bool:
    """
    Whether something accepts TCP connections on C{host:port}.
    """
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _die_with_parent(user: tuple[int, int] | None):
    def prepare() -> None:
        os.setpgid(0, 0)
        if user is not None:
            # The group first: once the user changed it cannot be.
            os.setgid(user[1])
            os.setuid(user[0])
        # After the change of user, which clears it.
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return prepare


class Child:
    """
    One child process, its output in a log file.

    @ivar name: what it is, for messages (C{"haproxy"}, C{"node2"}).
    @ivar log_path: the file its standard output and error go to.
    @ivar process: the C{subprocess.Popen}, once started.
    """

    def __init__(self, name: str, argv: list[str], log_path: str, user: tuple[int, int] | None = None,
                 env: dict | None = None, cwd: str | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.user = user
        self.env = env
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def start(self) -> "Child":
        """
        Start it (in a process group of its own, killed if we die).
        """
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(self.user),
                env=self.env,
                cwd=self.cwd,
            )
        return self

    @property
    def pid(self) -> int | None:
        """
        Its process id once started.
        """
        return None if self.process is None else self.process.pid

    def running(self) -> bool:
        """
        Whether it was started and has not exited.
        """
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 5) -> str:
        """
        The last lines of its log, joined with " | " (for a one-line error).
        """
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                tail = log.read().strip().splitlines()[-lines:]
        except OSError:
            return ""
        return " | ".join(line.strip() for line in tail)

    def wait_for_port(self, host: str, port: int, timeout: float = 30.0) -> None:
        """
        Block until C{host:port} accepts connections.

        @raise EngineError: the child exited first, or C{timeout} passed.
        """
        deadline = time.monotonic() + timeout
        while not answers(host, port):
            if not self.running():
                raise EngineError(f"{self.name} exited before listening on {host}:{port}: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise EngineError(f"{self.name} not listening on {host}:{port} after {timeout:g} s: {self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """
        SIGKILL it, and reap it.
        """
        if self.running():
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self, timeout: float = 10.0) -> int | None:
        """
        SIGTERM it, wait up to C{timeout} seconds, then SIGKILL it; its
        process group too (what it started itself).

        @return: its exit status (C{None} if never started).
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass  # none left
        return self.process.returncode
