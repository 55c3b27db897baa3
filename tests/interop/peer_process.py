"""
The interoperability tests' foreign peers: the scripts of C{interop/},
written with the asyncio C{ocpp} package, run in a child process
(L{start_peer}); their JSON lines are read as they come (L{PeerProcess})
and waited on as events, never polled.
"""

import json
import os
import sys

from twisted.internet import error
from twisted.internet.defer import Deferred, TimeoutError
from twisted.internet.protocol import ProcessProtocol
from twisted.trial.unittest import FailTest

#: The folder of the foreign peers' scripts.
INTEROP = os.path.join(os.path.dirname(__file__), "..", "..", "interop")

#: Seconds a test waits for one event of a peer before it fails.
EVENT_TIMEOUT = 15.0


class PeerProcess(ProcessProtocol):
    """
    A peer script's process: its JSON lines in order (L{lines}), what it
    wrote on standard error, and Deferreds of the lines to come.

    @ivar lines: the events printed so far, each a dict.
    @ivar garbage: the lines of standard output that were not JSON objects.
    @ivar ended: fires with the process's end (C{ProcessDone} or
        C{ProcessTerminated}, the exception, not raised) once it exited.
    """

    def __init__(self, reactor, name: str) -> None:
        self._reactor = reactor
        self.name = name
        self.lines: list[dict] = []
        self.garbage: list[str] = []
        self._buffer = b""
        self._stderr = b""
        self._waiters: list[tuple] = []
        self.exited = False
        self.ended: Deferred = Deferred()

    # -- the process ---------------------------------------------------------

    def outReceived(self, data: bytes) -> None:
        self._buffer += data
        *complete, self._buffer = self._buffer.split(b"\n")
        for raw in complete:
            self._line(raw.decode("utf-8", "replace"))

    def errReceived(self, data: bytes) -> None:
        self._stderr += data

    def processEnded(self, reason) -> None:
        self.exited = True
        for _, _, waiter in list(self._waiters):
            waiter.errback(FailTest(f"{self.name} exited ({reason.value}) {self.diagnosis()}"))
        self._waiters.clear()
        self.ended.callback(reason.value)

    def _line(self, text: str) -> None:
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            self.garbage.append(text)
            return
        self.lines.append(event)
        for entry in list(self._waiters):
            matches, _, waiter = entry
            if matches(event):
                self._waiters.remove(entry)
                waiter.callback(event)

    # -- what the tests ask ------------------------------------------------------

    @property
    def stderr(self) -> str:
        """
        What the peer wrote on standard error so far.
        """
        return self._stderr.decode("utf-8", "replace")

    def diagnosis(self) -> str:
        """
        @return: the peer's last lines and standard error, for a failure
            message.
        """
        last = "\n".join(json.dumps(line)[:300] for line in self.lines[-8:])
        return f"\n-- last lines of {self.name}:\n{last}\n-- its stderr:\n{self._stderr.decode('utf-8', 'replace')[-3000:]}"

    def events(self, event: str, where=None, **fields) -> list[dict]:
        """
        @param where: if given, a line must also satisfy C{where(line)}.
        @return: the lines so far of an event whose fields have the values
            given.
        """
        return [line for line in self.lines if _matches(line, event, fields, where)]

    def wait_for(
        self, event: str, count: int = 1, timeout: float = EVENT_TIMEOUT, where=None, **fields
    ) -> Deferred:
        """
        Wait until the peer printed C{count} lines of C{event} with the
        field values given (and satisfying C{where(line)}, if given),
        counting those already printed.

        @return: a Deferred firing with the C{count}th such line, or failing
            the test (with the peer's last lines) after C{timeout} seconds or
            when the peer exits first.
        """
        seen = self.events(event, where, **fields)
        if len(seen) >= count:
            return _fired(seen[count - 1])
        if self.exited:
            return _failed(FailTest(f"{self.name} had exited before {event} {fields} {self.diagnosis()}"))
        remaining = [count - len(seen)]

        def matches(line):
            if not _matches(line, event, fields, where):
                return False
            remaining[0] -= 1
            return remaining[0] == 0

        waiter = Deferred()
        entry = (matches, event, waiter)
        self._waiters.append(entry)
        what = f"{count} x {event} {fields}"

        def timed_out(failure):
            failure.trap(TimeoutError)
            if entry in self._waiters:
                self._waiters.remove(entry)
            raise FailTest(f"gave up waiting {timeout:g} s for {what} from {self.name} {self.diagnosis()}")

        return waiter.addTimeout(timeout, self._reactor).addErrback(timed_out)


def _fired(value) -> Deferred:
    waiter = Deferred()
    waiter.callback(value)
    return waiter


def _failed(failure) -> Deferred:
    waiter = Deferred()
    waiter.errback(failure)
    return waiter


def _matches(line: dict, event: str, fields: dict, where) -> bool:
    return (
        line.get("event") == event
        and all(line.get(name) == value for name, value in fields.items())
        and (where is None or where(line))
    )


async def start_peer(testcase, reactor, script: str, *arguments: str, ready: str | None) -> tuple:
    """
    Run C{interop/<script>} with the test's Python, wait for its first
    C{ready} event (none when C{ready} is C{None}), and have the test stop
    it at its end (SIGTERM, then SIGKILL should it not exit in time) and
    await its exit.

    @return: its L{PeerProcess} and that first C{ready} line (or C{None}).
    """
    peer = PeerProcess(reactor, script)
    path = os.path.abspath(os.path.join(INTEROP, script))
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    transport = reactor.spawnProcess(
        peer, sys.executable, [sys.executable, "-u", path, *arguments], env=environment
    )

    async def stop():
        if peer.exited:
            return
        try:
            transport.signalProcess("TERM")
        except error.ProcessExitedAlready:
            pass
        timer = reactor.callLater(5, _kill, transport)
        await peer.ended
        if timer.active():
            timer.cancel()

    testcase.addCleanup(stop)
    if ready is None:
        # A peer expected to fail: the test awaits its end itself.
        return peer, None
    line = await peer.wait_for(ready)
    return peer, line


def _kill(transport) -> None:
    try:
        transport.signalProcess("KILL")
    except error.ProcessExitedAlready:
        pass
