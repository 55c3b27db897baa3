"""
Loopback RPC benchmark: OCPP-J calls per second and their latency.

    python benchmarks/bench_rpc.py [--clients 100] [--seconds 10] [--quick]
                                   [--load openocpp|raw] [--only openocpp|bare]

Starts a central system in a separate process (this script with C{--serve}),
connects CLIENTS charge points to it over loopback, and has each make
back-to-back CALLs for SECONDS seconds, alternating Heartbeat and MeterValues
(one meter value, four sampled values).  Twice:

  - C{openocpp}: the server is openocpp's transport and an C{RpcSession}
    playing the central system, answering with typed responses (every frame
    parsed, validated against the schemas, decoded, the answer encoded and
    validated);
  - C{bare}: the server is a bare autobahn C{WebSocketServerProtocol} that
    parses the CALL's JSON and answers a canned CALLRESULT: no OCPP layer,
    the floor of what autobahn on Twisted can do on this machine.

The load is openocpp's own client and C{RpcSession} (so the charge point side
of the stack is measured as well), in this process; with C{--load raw} it is
bare autobahn clients sending ready-made CALL text, cheap enough that the
server, not the load, is the bottleneck.  When two cores are
available, the server and the load are pinned to different ones.  Reported
per run: calls per second, latency percentiles (from the call to its typed
answer, as the caller sees it), and the CPU seconds the load and the server
spent during the measured window (a process near 100% of one core is the
bottleneck), and those every other process on the machine spent (if not near
0, the figures are disturbed).  CPU microseconds per call, of the server and
of the load, are the figures least disturbed by other processes: in a closed
loop neither side keeps a core busy all the time, as the calls go back and
forth in batches.  One table, then one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

LOOPBACK = "tcp:0:interface=127.0.0.1"

#: The canned answers of the bare server, by action.
CANNED = {
    "Heartbeat": {"currentTime": "2026-11-25T08:00:00.000Z"},
    "MeterValues": {},
}


# -- the server process ---------------------------------------------------------


def _log_warnings_to_stderr() -> None:
    from twisted.logger import (
        FilteringLogObserver,
        LogLevel,
        LogLevelFilterPredicate,
        globalLogBeginner,
        textFileLogObserver,
    )

    globalLogBeginner.beginLoggingTo(
        [
            FilteringLogObserver(
                textFileLogObserver(sys.stderr),
                [LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)],
            )
        ],
        redirectStandardIO=False,
    )


def openocpp_server_factory(reactor):
    """
    An openocpp central system answering Heartbeat and MeterValues.
    """
    from openocpp.messages import HeartbeatResponse, MeterValuesResponse, Role
    from openocpp.rpc import RpcSession
    from openocpp.transport.server import OcppServerFactory

    handlers = {
        "Heartbeat": lambda request: HeartbeatResponse(
            current_time=datetime.now(timezone.utc)
        ),
        "MeterValues": lambda request: MeterValuesResponse(),
    }
    return OcppServerFactory(
        lambda connection: RpcSession(Role.CENTRAL_SYSTEM, handlers, reactor),
        reactor=reactor,
    )


def bare_server_factory(reactor):
    """
    A bare autobahn server: parse the CALL, answer a canned CALLRESULT.
    """
    from autobahn.twisted.websocket import (
        WebSocketServerFactory,
        WebSocketServerProtocol,
    )

    class BareProtocol(WebSocketServerProtocol):
        def onConnect(self, request):
            return "ocpp1.6" if "ocpp1.6" in request.protocols else None

        def onMessage(self, payload, isBinary):
            frame = json.loads(payload)
            if frame[0] == 2:
                answer = json.dumps([3, frame[1], CANNED.get(frame[2], {})])
                self.sendMessage(answer.encode("utf-8"), isBinary=False)

    factory = WebSocketServerFactory("ws://127.0.0.1/", reactor=reactor)
    factory.protocol = BareProtocol
    return factory


def serve(kind: str, cpu: int | None) -> None:
    """
    Run a server until SIGTERM; print C{PORT <n>} once listening.
    """
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    from twisted.internet import reactor
    from twisted.internet.endpoints import serverFromString

    _log_warnings_to_stderr()
    if kind == "openocpp":
        from openocpp.transport.server import listen

        listening = listen(reactor, LOOPBACK, openocpp_server_factory(reactor))
    else:
        listening = serverFromString(reactor, LOOPBACK).listen(
            bare_server_factory(reactor)
        )

    def ready(port):
        sys.stdout.write(f"PORT {port.getHost().port}\n")
        sys.stdout.flush()

    def failed(failure):
        sys.stderr.write(f"cannot listen: {failure.getErrorMessage()}\n")
        reactor.stop()

    listening.addCallbacks(ready, failed)
    reactor.run()


# -- the load -------------------------------------------------------------------


def _process_cpu(pid: int) -> float | None:
    """
    CPU seconds (user and system) process C{pid} has used, from /proc.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float | None:
    """
    CPU seconds all processes on the machine have used (every core's time
    not idle nor waiting for I/O), from /proc/stat.
    """
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    ticks = [int(field) for field in fields]
    # user nice system idle iowait irq softirq steal (guest time is in user)
    busy = sum(ticks[:8]) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _requests():
    from openocpp.messages import (
        HeartbeatRequest,
        Location,
        Measurand,
        MeterValue,
        MeterValuesRequest,
        Phase,
        ReadingContext,
        SampledValue,
        UnitOfMeasure,
    )

    meter_values = MeterValuesRequest(
        connector_id=1,
        transaction_id=1042,
        meter_value=[
            MeterValue(
                timestamp=datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc),
                sampled_value=[
                    SampledValue(
                        value="12345",
                        context=ReadingContext.SAMPLE_PERIODIC,
                        measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                        location=Location.OUTLET,
                        unit=UnitOfMeasure.WH,
                    ),
                    SampledValue(
                        value="7200",
                        measurand=Measurand.POWER_ACTIVE_IMPORT,
                        unit=UnitOfMeasure.W,
                    ),
                    SampledValue(
                        value="16.2",
                        measurand=Measurand.CURRENT_IMPORT,
                        phase=Phase.L1,
                        unit=UnitOfMeasure.A,
                    ),
                    SampledValue(
                        value="231.0",
                        measurand=Measurand.VOLTAGE,
                        phase=Phase.L1_N,
                        unit=UnitOfMeasure.V,
                    ),
                ],
            )
        ],
    )
    return HeartbeatRequest(), meter_values


class LoadClient:
    """
    One charge point making back-to-back calls: the next goes out as soon
    as the answer to the last arrives, until the run's deadline.
    """

    def __init__(self, run: "LoadRun", session) -> None:
        self.run = run
        self.session = session
        self.index = 0
        self.sent_at = 0.0
        self.done = None

    def start(self):
        from twisted.internet.defer import Deferred

        self.done = Deferred()
        self._next()
        return self.done

    def _next(self) -> None:
        run = self.run
        now = time.perf_counter()
        if now >= run.deadline:
            self.done.callback(None)
            return
        request = run.requests[self.index & 1]
        self.index += 1
        self.sent_at = now
        self.session.call(request).addCallbacks(self._answered, self._failed)

    def _answered(self, response) -> None:
        now = time.perf_counter()
        if now >= self.run.window_start and now < self.run.deadline:
            self.run.latencies.append(now - self.sent_at)
        self._next()

    def _failed(self, failure) -> None:
        self.run.errors.append(failure.getErrorMessage())
        self._next()


class LoadRun:
    """
    The figures of one run being collected.
    """

    def __init__(self, requests, window_start: float, deadline: float) -> None:
        self.requests = requests
        from openocpp.messages import codec

        # for --load raw: the same CALLs as text, after their unique id
        self.raw_requests = [
            '","%s",%s]'
            % (r.action, json.dumps(codec.encode(r), separators=(",", ":")))
            for r in requests
        ]
        self.window_start = window_start
        self.deadline = deadline
        self.latencies: list[float] = []
        self.errors: list[str] = []


def _spawn_server(kind: str, cpu: int | None) -> tuple[subprocess.Popen, int]:
    command = [sys.executable, os.path.abspath(__file__), "--serve", kind]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    server = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env, text=True
    )
    line = server.stdout.readline()
    if not line.startswith("PORT "):
        server.kill()
        raise RuntimeError(f"the {kind} server did not start: {line!r}")
    return server, int(line.split()[1])


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def _connect_openocpp(reactor, url: str, clients: int):
    """
    Connect C{clients} openocpp charge points (client and RpcSession).

    @return: a Deferred firing with (a L{LoadClient} maker per client, a
        callable closing them all and returning a Deferred).
    """
    from twisted.internet.defer import DeferredList, gatherResults

    from openocpp.messages import Role
    from openocpp.rpc import RpcSession
    from openocpp.transport.client import (
        OcppClientFactory,
        client_endpoint,
        open_connection,
    )

    sessions: list = []
    factories = []
    connecting = []
    for number in range(clients):

        def make_session(connection):
            session = RpcSession(Role.CHARGE_POINT, {}, reactor)
            sessions.append(session)
            return session

        factory = OcppClientFactory(url, f"BENCH-{number:04d}", make_session, reactor=reactor)
        factories.append(factory)
        connecting.append(
            open_connection(client_endpoint(reactor, factory.connection_url), factory)
        )
    await gatherResults(connecting, consumeErrors=True)

    def close():
        return DeferredList([f.close_connections(1000, "done") for f in factories])

    return [lambda run, s=session: LoadClient(run, s) for session in sessions], close


class RawLoadClient:
    """
    A charge point without OCPP layers, for C{--load raw}: sends CALLs as
    ready-made text, reads the answers with C{json.loads} and nothing more.
    """

    def __init__(self, run: "LoadRun", protocol) -> None:
        self.run = run
        self.protocol = protocol
        protocol.client = self
        self.index = 0
        self.sent_at = 0.0
        self.done = None

    def start(self):
        from twisted.internet.defer import Deferred

        self.done = Deferred()
        self._next()
        return self.done

    def _next(self) -> None:
        run = self.run
        now = time.perf_counter()
        if now >= run.deadline:
            self.done.callback(None)
            return
        self.index += 1
        text = '[2,"%d' % self.index + run.raw_requests[self.index & 1]
        self.sent_at = now
        self.protocol.sendMessage(text.encode("utf-8"), isBinary=False)

    def answered(self, payload: bytes) -> None:
        now = time.perf_counter()
        frame = json.loads(payload)
        if frame[0] != 3 or frame[1] != str(self.index):
            self.run.errors.append(payload[:100].decode("utf-8", "replace"))
        elif self.run.window_start <= now < self.run.deadline:
            self.run.latencies.append(now - self.sent_at)
        self._next()


async def _connect_raw(reactor, url: str, clients: int):
    """
    Connect C{clients} bare autobahn clients offering C{ocpp1.6}.

    @return: as L{_connect_openocpp}, with L{RawLoadClient} makers.
    """
    from autobahn.twisted.websocket import (
        WebSocketClientFactory,
        WebSocketClientProtocol,
    )
    from twisted.internet.defer import Deferred, DeferredList, gatherResults
    from twisted.internet.endpoints import TCP4ClientEndpoint

    class RawProtocol(WebSocketClientProtocol):
        client = None

        def onOpen(self):
            self.factory.opened.callback(self)

        def onMessage(self, payload, isBinary):
            if self.client is not None:
                self.client.answered(payload)

        def connectionLost(self, reason):
            super().connectionLost(reason)
            self.factory.lost.callback(None)

    factories = []
    for number in range(clients):
        factory = WebSocketClientFactory(
            f"{url}/BENCH-{number:04d}", protocols=["ocpp1.6"], reactor=reactor
        )
        factory.protocol = RawProtocol
        factory.opened, factory.lost = Deferred(), Deferred()
        factories.append(factory)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        TCP4ClientEndpoint(reactor, "127.0.0.1", port).connect(factory)
    protocols = await gatherResults([f.opened for f in factories], consumeErrors=True)

    def close():
        for protocol in protocols:
            protocol.sendClose(1000)
        return DeferredList([f.lost for f in factories])

    return [lambda run, p=protocol: RawLoadClient(run, p) for protocol in protocols], close


async def run_against(
    reactor,
    kind: str,
    clients: int,
    seconds: float,
    warmup: float,
    server_cpu: int | None,
    load: str = "openocpp",
) -> dict:
    """
    Start a C{kind} server, load it, stop it: return the run's figures.
    """
    from twisted.internet.defer import DeferredList
    from twisted.internet.task import deferLater

    server, port = _spawn_server(kind, server_cpu)
    try:
        url = f"ws://127.0.0.1:{port}/ocpp"
        connect = _connect_raw if load == "raw" else _connect_openocpp
        makers, close = await connect(reactor, url, clients)
        started = time.perf_counter()
        run = LoadRun(_requests(), started + warmup, started + warmup + seconds)
        loads = [make(run).start() for make in makers]
        # the measured window
        await deferLater(reactor, warmup, lambda: None)
        cpu_load = time.process_time()
        cpu_server = _process_cpu(server.pid)
        busy = _machine_busy()
        window = run.window_start = time.perf_counter()
        await deferLater(reactor, max(0.0, run.deadline - time.perf_counter()), lambda: None)
        elapsed = time.perf_counter() - window
        cpu_load = time.process_time() - cpu_load
        end_server = _process_cpu(server.pid)
        end_busy = _machine_busy()
        cpu_server = None if cpu_server is None else end_server - cpu_server
        cpu_other = None
        if busy is not None and cpu_server is not None:
            cpu_other = max(0.0, end_busy - busy - cpu_load - cpu_server)
        await DeferredList(loads)
        await close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)

    latencies = sorted(run.latencies)
    ms = 1000.0
    return {
        "benchmark": "rpc",
        "server": kind,
        "load": load,
        "clients": clients,
        "seconds": round(elapsed, 3),
        "calls": len(latencies),
        "calls_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * ms, 3),
        "p90_ms": round(_percentile(latencies, 0.90) * ms, 3),
        "p99_ms": round(_percentile(latencies, 0.99) * ms, 3),
        "max_ms": round((latencies[-1] if latencies else float("nan")) * ms, 3),
        "errors": len(run.errors),
        "load_cpu_s": round(cpu_load, 3),
        "server_cpu_s": None if cpu_server is None else round(cpu_server, 3),
        "other_cpu_s": None if cpu_other is None else round(cpu_other, 3),
        "load_cpu_us_per_call": _per_call(cpu_load, len(latencies)),
        "server_cpu_us_per_call": _per_call(cpu_server, len(latencies)),
        "pinned": server_cpu is not None,
    }


def _per_call(cpu: float | None, calls: int) -> float | None:
    if cpu is None or not calls:
        return None
    return round(cpu / calls * 1e6, 1)


def _cpu_share(cpu: float | None, seconds: float) -> str:
    if cpu is None:
        return "n/a"
    return f"{cpu:6.2f} ({100 * cpu / seconds:3.0f}%)"


def print_table(results: list[dict]) -> None:
    print(
        f"{'server':<9} {'clients':>7} {'calls':>8} {'calls/s':>8} {'p50 ms':>7} "
        f"{'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} "
        f"{'load CPU s':>13} {'server CPU s':>13} {'others CPU s':>13} "
        f"{'load us/call':>12} {'server us/call':>14}"
    )
    for r in results:
        print(
            f"{r['server']:<9} {r['clients']:>7} {r['calls']:>8} {r['calls_per_s']:>8.0f} "
            f"{r['p50_ms']:>7.2f} {r['p90_ms']:>7.2f} {r['p99_ms']:>7.2f} "
            f"{r['max_ms']:>7.2f} {r['errors']:>6} "
            f"{_cpu_share(r['load_cpu_s'], r['seconds']):>13} "
            f"{_cpu_share(r['server_cpu_s'], r['seconds']):>13} "
            f"{_cpu_share(r['other_cpu_s'], r['seconds']):>13} "
            f"{_number(r['load_cpu_us_per_call']):>12} "
            f"{_number(r['server_cpu_us_per_call']):>14}"
        )
    by_kind = {r["server"]: r for r in results}
    ours, bare = by_kind.get("openocpp"), by_kind.get("bare")
    if ours and bare and bare["calls_per_s"]:
        print(
            "openocpp / bare autobahn: %.2fx the calls per second"
            % (ours["calls_per_s"] / bare["calls_per_s"]),
            end="",
        )
        if ours["server_cpu_us_per_call"] and bare["server_cpu_us_per_call"]:
            print(
                ", %.2fx the server CPU per call"
                % (ours["server_cpu_us_per_call"] / bare["server_cpu_us_per_call"]),
                end="",
            )
        print()


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--clients", type=int, default=100, help="charge points (100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run (10)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of load before measuring (1)")
    parser.add_argument("--quick", action="store_true", help="20 clients, 2 seconds: a smoke test")
    parser.add_argument("--only", choices=["openocpp", "bare"], help="one server only")
    parser.add_argument(
        "--load",
        choices=["openocpp", "raw"],
        default="openocpp",
        help="the charge points: openocpp's client and RpcSession (default), or "
        "raw: ready-made CALL text and json.loads, cheap enough that the server "
        "is the bottleneck",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    parser.add_argument("--serve", choices=["openocpp", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.serve:
        serve(options.serve, options.cpu)
        return

    clients, seconds = options.clients, options.seconds
    warmup = 1.0 if options.warmup is None else options.warmup
    if options.quick:
        clients, seconds = 20, 2.0
        warmup = 0.5 if options.warmup is None else options.warmup

    server_cpu = None
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cores) >= 2 and not options.no_pin:
        server_cpu = cores[0]
        os.sched_setaffinity(0, {cores[1]})

    from twisted.internet import task
    from twisted.internet.defer import Deferred

    kinds = [options.only] if options.only else ["openocpp", "bare"]
    results: list[dict] = []

    async def go(reactor) -> None:
        _log_warnings_to_stderr()
        for kind in kinds:
            results.append(
                await run_against(
                    reactor, kind, clients, seconds, warmup, server_cpu, options.load
                )
            )

    try:
        task.react(lambda reactor: Deferred.fromCoroutine(go(reactor)))
    except SystemExit as exit:
        if exit.code:
            raise
    print(
        f"RPC over loopback WebSocket: {clients} clients, {seconds:g} s measured after "
        f"{warmup:g} s warm-up, Heartbeat and MeterValues (4 sampled values) alternating; "
        + ("openocpp client and RpcSession" if options.load == "openocpp" else "raw")
        + " load"
        + ("; server and load pinned to different cores" if server_cpu is not None else "")
    )
    print_table(results)
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
