"""
A fleet of charge points at a realistic pace, for the connection benchmarks
(C{bench_connections.py}, C{bench_cluster.py}): raw OCPP-J frames on
asyncio and C{websockets} (the payloads and answer checks of
C{loadgen.py}, none of openocpp's code).

    python benchmarks/fleet.py --url ws://127.0.0.1:9000/ocpp/ --count 10000 \\
        --source 127.0.0.2 --stats-dir /tmp/figures

Each charge point boots, sends StatusNotification (Available), then lives:
a Heartbeat every C{--heartbeat} seconds, and sessions: idle for a random
time (exponential, mean C{--idle}), then Authorize, StartTransaction,
StatusNotification (Charging), a MeterValues every C{--meter-interval}
seconds while charging (mean C{--session}), StopTransaction and
StatusNotification (Available).  Every phase starts at random, so the
load is even from the first second: C{--idle 5400 --session 1800} keeps a
quarter of the fleet charging.  C{--pace F} divides every interval by F (a
denser load on the same fleet).  Every answer is checked (C{loadgen}'s
checks).  A CALL from the server is answered: C{ClearCache},
C{ChangeConfiguration}, C{TriggerMessage}, C{UnlockConnector},
C{RemoteStart/StopTransaction}, C{Reset}, C{ChangeAvailability} and
C{DataTransfer} with C{Accepted}, C{GetConfiguration} with no keys, the
rest with a C{NotImplemented} CALLERROR.

Connections go to one of the C{--url}s (comma-separated, one per node) by
the CRC-32 of the identity, from the loopback address C{--source} (bound
before connect: each source address has its own 28,000 ephemeral ports).
One process holds at most the file descriptor limit (20,000 here), so a big
fleet is several processes.

The process is driven on its standard input, one command a line, each
answered with one line on standard output:

  - C{OPEN K}: open connections (at C{--ramp} per second, C{--opening} at most in flight) until K charge
    points of this process are up; C{OPENED {...}} once they are booted or
    failed (a charge point whose connection or boot failed tries again
    after a backoff, C{--open-tries} times in all, as a real one does);
  - C{MARK NAME}: the figures since the last C{MARK} (calls, errors, each
    latency) written to C{--stats-dir}/NAME.json, a new window begun;
    C{MARKED {...}} (calls, errors, connected);
  - C{STOP}: every connection closed; C{STOPPED {...}}, then exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import time
import zlib

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loadgen  # noqa: E402  (the payloads and checks, beside this file)

#: Server-initiated actions answered with C{{"status": "Accepted"}}.
ACCEPTED_ACTIONS = frozenset(
    (
        "ClearCache", "ChangeConfiguration", "TriggerMessage", "UnlockConnector",
        "RemoteStartTransaction", "RemoteStopTransaction", "Reset", "ChangeAvailability",
        "DataTransfer",
    )
)

#: The payload of StatusNotification (Available), C{loadgen}'s mix step.
_AVAILABLE = loadgen.MIX.index("StatusNotification:Available")


def node_of(identity: str, nodes: int) -> int:
    """
    The node (0 to C{nodes} - 1) a charge point connects to: the CRC-32 of
    its identity, so every run and every tool spreads the same way.
    """
    return zlib.crc32(identity.encode()) % nodes


class Window:
    """
    What the process's charge points saw since the last C{MARK}.
    """

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.latencies: list[float] = []
        self.by_action: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.error_samples: list[str] = []

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {detail}"[:300])

    def figures(self) -> dict:
        return {
            "seconds": round(time.monotonic() - self.began, 3),
            "calls": len(self.latencies),
            "by_action": {
                action: sorted(round(latency * 1e6) for latency in latencies)
                for action, latencies in self.by_action.items()
            },
            "latencies_us": sorted(round(latency * 1e6) for latency in self.latencies),
            "errors": self.errors,
            "error_samples": self.error_samples,
        }


class Fleet:
    """
    The charge points of one process, the pace they keep and the window
    their figures go to.
    """

    def __init__(self, options) -> None:
        self.options = options
        self.urls = options.url.split(",")
        self.window = Window()
        self.connected = 0
        self.booted = 0
        self.open_failed = 0
        #: Failed opens tried again (a charge point reconnects, as a real one does).
        self.open_retried = 0
        self.lost = 0
        self.started_transactions = 0
        self.server_calls = 0
        self.charge_points: list[FleetChargePoint] = []
        self.opened = 0

    def interval(self, seconds: float) -> float:
        return seconds / self.options.pace


class FleetChargePoint(loadgen.ChargePoint):
    """
    One charge point of the fleet: C{loadgen}'s payloads, a reader task
    that matches answers to calls and answers the server's CALLs, and the
    realistic life of C{run}.
    """

    def __init__(self, identity: str, fleet: Fleet) -> None:
        super().__init__(identity, None, fleet.options.call_timeout)
        self.fleet = fleet
        self.pending: dict[str, asyncio.Future] = {}
        self.reader: asyncio.Task | None = None
        self.life: asyncio.Task | None = None

    def payload(self, kind: str) -> tuple[str, str]:
        """
        C{loadgen}'s payload for step C{kind} of its mix.
        """
        self.step = loadgen.MIX.index(kind)
        return self.next_call()

    async def call(self, action: str, payload: str) -> dict:
        """
        Send one CALL, return the CALLRESULT's payload checked (C{loadgen}'s
        checks); raise L{loadgen.AnswerError} for any other answer.
        """
        self.message_id += 1
        message_id = str(self.message_id)
        answer = asyncio.get_running_loop().create_future()
        self.pending[message_id] = answer
        try:
            async with asyncio.timeout(self.call_timeout):
                await self.connection.send(f'[2,"{message_id}","{action}",{payload}]')
                frame = await answer
        finally:
            self.pending.pop(message_id, None)
        if len(frame) == 3 and frame[0] == 3:
            result = frame[2]
            if type(result) is not dict:
                raise loadgen.AnswerError(f"{action}: payload is not an object: {frame!r}")
            loadgen.CHECKS[action](result)
            return result
        if len(frame) == 5 and frame[0] == 4:
            raise loadgen.AnswerError(f"{action}: CALLERROR {frame[2]} {frame[3]!r}")
        raise loadgen.AnswerError(f"{action}: not an answer: {frame!r}")

    async def read(self) -> None:
        """
        Match every frame read to its call, answer the server's CALLs.
        """
        connection = self.connection
        try:
            async for message in connection:
                frame = json.loads(message)
                if type(frame) is not list or len(frame) < 3:
                    self.fleet.window.error("answer", f"{self.identity}: not an OCPP-J frame: {message[:100]!r}")
                    continue
                if frame[0] == 2 and len(frame) == 4:
                    self.fleet.server_calls += 1
                    await connection.send(self.answer(frame))
                    continue
                waiting = self.pending.get(frame[1])
                if waiting is not None and not waiting.done():
                    waiting.set_result(frame)
                else:
                    self.fleet.window.error("answer", f"{self.identity}: unexpected frame {message[:100]!r}")
        except ConnectionClosed:
            pass
        for waiting in self.pending.values():
            if not waiting.done():
                waiting.set_exception(ConnectionClosed(connection.close_rcvd, connection.close_sent))

    @staticmethod
    def answer(frame: list) -> str:
        """
        The answer to the server's CALL C{frame}.
        """
        message_id, action = frame[1], frame[2]
        if action in ACCEPTED_ACTIONS:
            return json.dumps([3, message_id, {"status": "Accepted"}])
        if action == "GetConfiguration":
            return json.dumps([3, message_id, {"configurationKey": [], "unknownKey": []}])
        return json.dumps([4, message_id, "NotImplemented", f"{action} is not in the benchmark", {}])

    async def open(self, url: str) -> bool:
        """
        Connect from the fleet's source address, boot, say Available.
        """
        fleet, window = self.fleet, self.fleet.window
        try:
            self.connection = await connect(
                url + self.identity,
                subprotocols=["ocpp1.6"],
                compression=None,
                ping_interval=None,
                open_timeout=120,
                close_timeout=10,
                max_size=65536,
                local_addr=(fleet.options.source, 0),
            )
        except Exception as error:
            window.error("connect", f"{self.identity}: {type(error).__name__}: {error}")
            return False
        if self.connection.subprotocol != "ocpp1.6":
            window.error("connect", f"{self.identity}: subprotocol {self.connection.subprotocol!r}")
            return False
        fleet.connected += 1
        self.reader = asyncio.get_running_loop().create_task(self.read())
        boot = (
            '{"chargePointVendor":"openocpp-bench","chargePointModel":"fleet",'
            '"chargePointSerialNumber":"%s","firmwareVersion":"1.0"}' % self.identity[-25:]
        )
        try:
            await self.timed("BootNotification", boot)
            await self.timed(*self.payload(loadgen.MIX[_AVAILABLE]))
        except Exception as error:
            window.error("boot", f"{self.identity}: {type(error).__name__}: {error}")
            return False
        fleet.booted += 1
        return True

    async def timed(self, action: str, payload: str) -> dict:
        """
        One call, its latency and action counted in the current window.
        """
        sent = time.perf_counter()
        answer = await self.call(action, payload)
        latency = time.perf_counter() - sent
        window = self.fleet.window
        window.latencies.append(latency)
        window.by_action.setdefault(action, []).append(latency)
        return answer

    async def run(self) -> None:
        """
        The charge point's life until it is stopped or fails: Heartbeats,
        and sessions with their MeterValues.
        """
        fleet = self.fleet
        options = fleet.options
        heartbeat = fleet.interval(options.heartbeat)
        meter = fleet.interval(options.meter_interval)
        idle, session = fleet.interval(options.idle), fleet.interval(options.session)
        clock = time.monotonic
        now = clock()
        next_heartbeat = now + random.uniform(0, heartbeat)
        charging = random.random() < session / (idle + session)
        # Each phase starts part way through, so the fleet is even at once.
        change = now + random.expovariate(1 / (session if charging else idle))
        next_meter = now + random.uniform(0, meter)
        if charging:
            await self.start()
        try:
            while True:
                due = min(next_heartbeat, change, next_meter if charging else change)
                delay = due - clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                now = clock()
                if now >= next_heartbeat:
                    await self.timed("Heartbeat", "{}")
                    next_heartbeat += heartbeat
                elif now >= change:
                    if charging:
                        await self.timed(*self.payload("StopTransaction"))
                        await self.timed(*self.payload("StatusNotification:Available"))
                        change = now + random.expovariate(1 / idle)
                    else:
                        await self.start()
                        next_meter = now + meter
                        change = now + random.expovariate(1 / session)
                    charging = not charging
                elif charging and now >= next_meter:
                    await self.timed(*self.payload("MeterValues"))
                    next_meter += meter
        except asyncio.CancelledError:
            raise
        except loadgen.AnswerError as error:
            fleet.window.error("answer", f"{self.identity}: {error}")
        except TimeoutError:
            fleet.window.error("timeout", f"{self.identity}: not answered within {self.call_timeout:g} s")
        except ConnectionClosed as error:
            fleet.window.error("closed", f"{self.identity}: {error}")
        except Exception as error:
            fleet.window.error("other", f"{self.identity}: {type(error).__name__}: {error}")
        fleet.lost += 1

    async def start(self) -> None:
        await self.timed(*self.payload("Authorize"))
        answer = await self.timed(*self.payload("StartTransaction"))
        self.transaction_id = answer["transactionId"]
        self.fleet.started_transactions += 1
        await self.timed(*self.payload("StatusNotification:Charging"))

    async def close(self) -> None:
        for task in (self.life, self.reader):
            if task is not None:
                task.cancel()
        await super().close()


async def open_up_to(fleet: Fleet, wanted: int) -> None:
    """
    Open charge points at the ramp rate until C{wanted} of them are there;
    return once each is booted (and living) or failed.
    """
    loop = asyncio.get_running_loop()
    options = fleet.options
    # At most this many handshakes and boots at once: a starved server
    # (this machine is shared) slows the ramp down instead of timing
    # handshakes out.
    in_flight = asyncio.Semaphore(options.opening)

    async def open_one(charge_point: FleetChargePoint, url: str) -> None:
        # A charge point whose connection or boot failed closes what it
        # opened and tries again after a backoff (1, 2, 4, ... s, jittered),
        # as a real one does, up to --open-tries times; each failure is
        # still an error of the opening's window.
        try:
            for attempt in range(options.open_tries):
                if attempt:
                    fleet.open_retried += 1
                    in_flight.release()
                    await asyncio.sleep(2 ** (attempt - 1) * (0.5 + random.random()))
                    await in_flight.acquire()
                if await charge_point.open(url):
                    charge_point.life = loop.create_task(charge_point.run())
                    return
                await charge_point.close()
                charge_point.connection = charge_point.reader = None
            fleet.open_failed += 1
        finally:
            in_flight.release()

    began = time.perf_counter()
    opening = []
    first = fleet.opened
    for index in range(first, min(wanted, options.count)):
        delay = began + (index - first) / options.ramp - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await in_flight.acquire()
        identity = f"{options.prefix}{options.first + index:06d}"
        charge_point = FleetChargePoint(identity, fleet)
        fleet.charge_points.append(charge_point)
        url = fleet.urls[node_of(identity, len(fleet.urls))]
        opening.append(loop.create_task(open_one(charge_point, url)))
        fleet.opened += 1
    if opening:
        await asyncio.wait(opening)


def state(fleet: Fleet) -> dict:
    return {
        "opened": fleet.opened,
        "connected": fleet.connected,
        "booted": fleet.booted,
        "open_failed": fleet.open_failed,
        "open_retried": fleet.open_retried,
        "lost": fleet.lost,
        "started_transactions": fleet.started_transactions,
        "server_calls": fleet.server_calls,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


async def main(options) -> None:
    loop = asyncio.get_running_loop()
    fleet = Fleet(options)
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        command = line.split()
        if not command or command[0] == "STOP":
            break
        if command[0] == "OPEN":
            began = time.perf_counter()
            await open_up_to(fleet, int(command[1]))
            print("OPENED " + json.dumps({**state(fleet), "open_s": round(time.perf_counter() - began, 3)}), flush=True)
        elif command[0] == "MARK":
            window, fleet.window = fleet.window, Window()
            with open(os.path.join(options.stats_dir, command[1] + ".json"), "w") as out:
                json.dump({**window.figures(), **state(fleet)}, out)
            print("MARKED " + json.dumps({"calls": len(window.latencies), "errors": window.errors}), flush=True)
        else:
            print(f"ERROR unknown command {command[0]!r}", flush=True)
    closing = [loop.create_task(charge_point.close()) for charge_point in fleet.charge_points]
    if closing:
        await asyncio.wait(closing, timeout=60)
    print("STOPPED " + json.dumps(state(fleet)), flush=True)


def parse_options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--url", required=True, help="ws://127.0.0.1:PORT/path/ (identity appended); comma-separated: one per node")
    parser.add_argument("--source", default="127.0.0.1", help="loopback address connections are made from (127.0.0.1)")
    parser.add_argument("--prefix", default="FLEET", help="identity prefix (FLEET)")
    parser.add_argument("--first", type=int, default=0, help="number of the first charge point")
    parser.add_argument("--count", type=int, required=True, help="charge points of this process, at most")
    parser.add_argument("--ramp", type=float, default=500.0, help="connections opened per second (500)")
    parser.add_argument("--opening", type=int, default=100, help="handshakes and boots in flight at once, at most (100)")
    parser.add_argument("--open-tries", type=int, default=5,
                        help="times a charge point tries to connect and boot before it gives up (5)")
    parser.add_argument("--heartbeat", type=float, default=300.0, help="seconds between Heartbeats (300)")
    parser.add_argument("--meter-interval", type=float, default=60.0, help="seconds between MeterValues while charging (60)")
    parser.add_argument("--idle", type=float, default=5400.0, help="mean seconds between sessions (5400)")
    parser.add_argument("--session", type=float, default=1800.0, help="mean seconds of a session (1800)")
    parser.add_argument("--pace", type=float, default=1.0, help="every interval divided by this (1: realistic)")
    parser.add_argument("--call-timeout", type=float, default=60.0, help="seconds to wait for an answer (60)")
    parser.add_argument("--stats-dir", required=True, help="directory the MARK figures are written to")
    options = parser.parse_args(argv)
    if options.pace <= 0 or min(options.heartbeat, options.meter_interval, options.idle, options.session) <= 0:
        parser.error("--pace and every interval must be positive")
    return options


if __name__ == "__main__":
    options = parse_options()
    if not all(url.startswith(("ws://127.", "ws://localhost")) for url in options.url.split(",")):
        sys.exit("fleet: loopback addresses only")
    if not options.source.startswith("127."):
        sys.exit("fleet: --source must be a loopback address (127.0.0.0/8)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = options.count + 100
    if wanted > hard:
        sys.exit(f"fleet: {options.count} charge points need {wanted} file descriptors; the limit is {hard}")
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    random.seed(os.getpid())
    try:
        from uvloop import run
    except ImportError:
        run = asyncio.run
    run(main(options))
