"""
Brute-force flood benchmark: how long honest charge points wait for their
opening handshake while attackers flood the central system with wrong
Basic-auth passwords.  Loopback only, bounded in time.

    python benchmarks/bench_auth_flood.py                       # this checkout
    python benchmarks/bench_auth_flood.py --openocpp-path /tmp/before
    python benchmarks/bench_auth_flood.py --attackers 200 --duration 10 --shared-address

The central system runs as a process of its own (C{twistd -n openocpp
centralsystem --security-profile 1 --no-log-frames --ping-interval 0}, its
log in a file, its SQLite file provisioned with a password per charge
point), on one core when C{taskset} and two cores are there, the load on
the other.

The load, in this process (Twisted, hand-written HTTP requests, none of
openocpp's code):

  - C{--attackers} connections (200), each sending the opening handshake
    of a registered identity with a wrong password, reading the answer,
    closing and starting again at once, from C{127.0.0.2} (another
    address) or with C{--shared-address} from C{127.0.0.1}, the honest
    charge points' own address (a NAT);
  - C{--honest} charge points (10), from C{127.0.0.1}, each connecting
    with its right password once before the flood (a charge point that was
    connected before), then again every C{--interval} seconds (0.5) during
    the flood, closing each time once the answer is in; and C{--cold}
    charge points (5) connecting for the first time during the flood.

Reported: the honest handshakes' latency (p50, p99, max) from the TCP
connect to the answer's status line, how many were accepted (101), refused
(with which status) or timed out (C{--timeout}, 10 s: a charge point gives
up), and the attackers' attempts per second by answer.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

HERE = Path(__file__).resolve().parent
KEY = "0123456789abcdef0123456789abcdef01234567"
CLOSE_FRAME = b"\x88\x82\x00\x00\x00\x00\x03\xe8"


def request(identity: str, password: str) -> bytes:
    credentials = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return (
        f"GET /ocpp/{identity} HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: ocpp1.6\r\n"
        f"Authorization: Basic {credentials}\r\n\r\n"
    ).encode()


class Handshake(Protocol):
    """
    Sends one opening handshake; fires C{done} with the answer's status
    code once its status line is in (and closes: with a close frame after
    a 101).
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._buffer = b""
        self.done: defer.Deferred = defer.Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self._data)

    def dataReceived(self, data: bytes) -> None:
        self._buffer += data
        if self.done.called or b"\r\n" not in self._buffer:
            return
        line = self._buffer.split(b"\r\n", 1)[0].split()
        code = int(line[1]) if len(line) > 1 and line[1].isdigit() else 0
        if code == 101:
            self.transport.write(CLOSE_FRAME)
        self.transport.loseConnection()
        self.done.callback(code)

    def connectionLost(self, reason) -> None:
        if not self.done.called:
            self.done.callback(0)


async def handshake(port: int, data: bytes, source: str, timeout: float) -> int:
    """
    One handshake from C{source}: its status code, 0 when the connection
    closed first, -1 on timeout.
    """
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port, timeout=timeout, bindAddress=(source, 0))
    protocol = Handshake(data)
    try:
        await connectProtocol(endpoint, protocol)
    except Exception:
        return 0
    waiting = protocol.done
    timer = reactor.callLater(timeout, lambda: waiting.called or waiting.callback(-1))
    code = await waiting
    if timer.active():
        timer.cancel()
    if code == -1:
        protocol.transport.abortConnection()
    return code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def provision(python: str, env: dict, database: str, identities: list[str]) -> None:
    script = (
        "import sys\n"
        "from twisted.internet.task import Clock\n"
        "from openocpp.centralsystem.store import CentralSystemStore\n"
        "store = CentralSystemStore(sys.argv[1], Clock())\n"
        "for identity in sys.argv[2:]:\n"
        f"    store.register_charge_point(identity, password={KEY!r})\n"
        "store.close()\n"
    )
    subprocess.run([python, "-c", script, database, *identities], env=env, check=True, cwd=Path(database).parent)


def start_server(args, workdir: Path, identities: list[str]) -> tuple[subprocess.Popen, int]:
    env = dict(os.environ)
    if args.openocpp_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(args.openocpp_path).resolve()), env.get("PYTHONPATH")]))
    database = str(workdir / "cs.sqlite")
    provision(sys.executable, env, database, identities)
    port = free_port()
    command = [
        sys.executable, "-c", "from twisted.scripts.twistd import run; run()", "-n", "--pidfile=",
        "--logfile", str(workdir / "cs.log"),
        "openocpp", "centralsystem",
        "--listen", f"tcp:{port}:interface=127.0.0.1",
        "--db", database, "--security-profile", "1",
        "--ping-interval", "0", "--no-log-frames",
    ]
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        command = ["taskset", "-c", "0"] + command
    server = subprocess.Popen(command, cwd=workdir, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the central system exited ({server.returncode}); see {workdir / 'cs.log'}")
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the central system did not listen within 20 s")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(args, port: int) -> dict:
    attacker_source = "127.0.0.1" if args.shared_address else "127.0.0.2"
    honest = [f"HONEST{number}" for number in range(args.honest)]
    cold = [f"COLD{number}" for number in range(args.cold)]
    victims = [f"VICTIM{number}" for number in range(20)]
    # Connected before: the flood starts with them known.
    for identity in honest:
        code = await handshake(port, request(identity, KEY), "127.0.0.1", args.timeout)
        if code != 101:
            raise SystemExit(f"{identity} was refused before the flood: HTTP {code}")
    stop_at = reactor.seconds() + args.duration
    attack_codes: Counter = Counter()
    results: dict[str, list] = {"warm": [], "cold": []}

    async def attacker(number: int) -> None:
        attempt = 0
        while reactor.seconds() < stop_at:
            identity = victims[(number + attempt) % len(victims)]
            code = await handshake(port, request(identity, f"wrong-{number}-{attempt}"), attacker_source, args.timeout)
            attack_codes[code] += 1
            attempt += 1

    async def honest_loop(identity: str, kind: str, repeat: bool) -> None:
        await deferLater(args.interval * (hash(identity) % 10) / 10)
        while reactor.seconds() < stop_at:
            started = time.perf_counter()
            code = await handshake(port, request(identity, KEY), "127.0.0.1", args.timeout)
            results[kind].append((time.perf_counter() - started, code))
            if not repeat:
                return
            await deferLater(args.interval)

    attackers = [defer.ensureDeferred(attacker(number)) for number in range(args.attackers)]
    await deferLater(1.0)  # the flood is on
    honest_runs = [defer.ensureDeferred(honest_loop(identity, "warm", True)) for identity in honest]
    honest_runs += [defer.ensureDeferred(honest_loop(identity, "cold", False)) for identity in cold]
    await defer.gatherResults(attackers + honest_runs)
    summary = {
        "attackers": args.attackers,
        "attacker_address": attacker_source,
        "attack_attempts_per_s": round(sum(attack_codes.values()) / args.duration, 1),
        "attack_answers": {str(code): count for code, count in sorted(attack_codes.items())},
    }
    for kind, measured in results.items():
        accepted = [seconds for seconds, code in measured if code == 101]
        summary[kind] = {
            "handshakes": len(measured),
            "answers": {str(code): count for code, count in sorted(Counter(code for _, code in measured).items())},
            "p50_ms": round(percentile(accepted, 0.50) * 1000, 1),
            "p99_ms": round(percentile(accepted, 0.99) * 1000, 1),
            "max_ms": round(max(accepted, default=float("nan")) * 1000, 1),
        }
    return summary


def deferLater(seconds: float) -> defer.Deferred:
    waiting = defer.Deferred()
    reactor.callLater(seconds, waiting.callback, None)
    return waiting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attackers", type=int, default=200)
    parser.add_argument("--honest", type=int, default=10)
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of flood")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between an honest charge point's connections")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a handshake may take")
    parser.add_argument("--shared-address", action="store_true", help="attackers from 127.0.0.1 too")
    parser.add_argument("--openocpp-path", help="the checkout to run the central system from")
    args = parser.parse_args()
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {1})
    workdir = Path(tempfile.mkdtemp(prefix="bench-auth-flood-"))
    identities = [f"HONEST{n}" for n in range(args.honest)] + [f"COLD{n}" for n in range(args.cold)]
    identities += [f"VICTIM{n}" for n in range(20)]
    server, port = start_server(args, workdir, identities)
    outcome: dict = {}

    async def measure() -> None:
        try:
            outcome.update(await run(args, port))
        finally:
            reactor.stop()

    # The whole run is bounded: the flood, then at most one timeout.
    reactor.callLater(args.duration + 2 * args.timeout + 30, reactor.stop)
    reactor.callWhenRunning(lambda: defer.ensureDeferred(measure()))
    try:
        reactor.run()
    finally:
        server.terminate()
        server.wait(10)
    outcome["openocpp_path"] = args.openocpp_path or str(HERE.parent)
    print(json.dumps(outcome, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
