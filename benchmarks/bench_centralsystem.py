"""
Central system benchmark: OCPP-J calls per second, latency, CPU and memory
of four central systems under the same load of charge points.

    pip install -e '.[bench]'
    python benchmarks/bench_centralsystem.py                    # every scenario, twice each
    python benchmarks/bench_centralsystem.py --scenario 1000 --duration 20
    python benchmarks/bench_centralsystem.py --quick            # a smoke run, < 60 s

The servers, each started as a process of its own, one after the other:

  - C{openocpp}: C{twistd -n openocpp centralsystem} with its default SQLite
    store (a file, write-ahead log), C{--accept-any-idtag --ping-interval 0}
    (frame logging off, the default), its log in a file at the default level (info: one
    line per boot, authorization, transaction and status; the debug line
    per frame is off, as in production);
  - C{openocpp-memory}: the same with C{--db :memory:};
  - (only when named in C{--servers}) C{openocpp-logframes}: C{openocpp}
    with C{--log-frames}: what logging every frame costs;
  - (only when named) C{openocpp-trace}: C{openocpp} with C{--trace FILE}:
    what the frame trace costs;
  - (only when named) C{openocpp-nometrics}: C{openocpp} with
    C{--no-metrics}: what the metrics' counters cost;
  - C{ocpp-peer}: a central system written with the C{ocpp} package on
    C{websockets} (C{benchmarks/servers/ocpp_peer.py}), what a Python user
    would pick today;
  - C{autobahn-bare}: a bare autobahn server answering canned CALLRESULTs
    (C{benchmarks/servers/bare_autobahn.py}): the transport's ceiling, with
    the same accelerators (every server runs in this Python);
  - (with C{--baseline-path DIR}) C{openocpp-base}: C{openocpp} from another
    source tree, e.g. a C{git archive main} copy, in the same minutes;
  - (with C{--server-command 'CMD with {port}'}) C{external}: any OCPP
    central system, e.g. a C++ build, on the same mix.

The load (C{benchmarks/loadgen.py}, asyncio and C{websockets}, raw frames)
runs in other processes: N charge points connect at C{--ramp} per second,
boot, then loop over the mix (Heartbeat, 3 x StatusNotification,
Authorize, StartTransaction, 4 x MeterValues, StopTransaction), one
outstanding CALL each, every answer checked.  The scenarios:

  - C{100}, C{1000}: N charge points flat out (the next call as soon as the
    answer is in);
  - C{1000paced}: 1,000 charge points, one call a second each (1,000
    calls/s);
  - C{10000paced}: 10,000 charge points, one call every 5 s each (2,000
    calls/s): the connection-scale figure (slow: about a minute a run).

When two cores are there the server runs on one and the load on the other
(C{taskset}).  Reported for each run: calls/s answered in the measured
window (after a warm-up), latency percentiles, errors (any answer not the
expected one, CALLERRORs, timeouts, lost connections), the server's CPU
(% of one core) and peak RSS (VmHWM), the server's RSS per connection
above its idle RSS, the load generators' CPU (near 100 %: the run is
client-bound, the server figures are a floor), the CPU every other
process on the machine took (not near 0: the figures are disturbed), and,
for the SQLite store, the transactions found in the file afterwards
against those the load saw started.  Then, per scenario, the mean over the
runs and the ratios openocpp / ocpp-peer and openocpp / autobahn-bare, and
the issue's targets checked.  One JSON line per run and per summary goes to
C{--json-out} (or standard output).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LOADGEN = os.path.join(HERE, "loadgen.py")
LOOPBACK = "127.0.0.1"

#: Charge points per load generator process, at most.
PER_LOADGEN = 5000


@dataclass(frozen=True)
class Scenario:
    """
    A load: C{clients} charge points, each calling flat out (C{interval}
    0) or once every C{interval} seconds.
    """

    name: str
    clients: int
    interval: float
    description: str


SCENARIOS = {
    "100": Scenario("100", 100, 0.0, "100 charge points flat out"),
    "1000": Scenario("1000", 1000, 0.0, "1,000 charge points flat out"),
    "1000paced": Scenario("1000paced", 1000, 1.0, "1,000 charge points, 1 call/s each"),
    "10000paced": Scenario("10000paced", 10000, 5.0, "10,000 charge points, 1 call every 5 s each"),
}
QUICK = Scenario("quick", 50, 0.0, "50 charge points flat out (smoke run)")

SERVERS = ("openocpp", "openocpp-memory", "ocpp-peer", "autobahn-bare")
#: Servers run only when asked for: openocpp logging every frame;
#: C{openocpp-base}, the default openocpp from another source tree
#: (C{--baseline-path}, e.g. a C{git archive main} copy), measured in the
#: same minutes as this one; C{external}, any OCPP central system started
#: by C{--server-command} (added to the servers when given).
EXTRA_SERVERS = ("openocpp-logframes", "openocpp-trace", "openocpp-nometrics", "openocpp-base", "external")

#: The command line of the C{external} server, with C{{port}} in it.
EXTERNAL_COMMAND: str | None = None
#: The source tree C{openocpp-base} runs (C{--baseline-path}).
BASELINE_PATH: str | None = None


# -- the servers ------------------------------------------------------------------


def _twistd() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "twistd")
    if os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]


def server_command(kind: str, port: int, workdir: str) -> list[str]:
    """
    The command running server C{kind} on C{port}, its files in C{workdir}.
    """
    if kind == "external":
        return shlex.split(EXTERNAL_COMMAND.replace("{port}", str(port)))
    if kind in ("openocpp", "openocpp-memory", "openocpp-logframes", "openocpp-trace", "openocpp-nometrics",
                "openocpp-base"):
        database = ":memory:" if kind == "openocpp-memory" else os.path.join(workdir, "cs.sqlite")
        log_frames = ["--log-frames"] if kind == "openocpp-logframes" else []
        if kind == "openocpp-trace":
            log_frames = ["--trace", os.path.join(workdir, "frames.trace")]
        elif kind == "openocpp-nometrics":
            log_frames = ["--no-metrics"]
        return _twistd() + [
            "-n",
            "--logfile", os.path.join(workdir, "twistd.log"),
            "--pidfile", os.path.join(workdir, "twistd.pid"),
            "openocpp", "centralsystem",
            "--listen", f"tcp:{port}:interface={LOOPBACK}",
            "--db", database,
            "--accept-any-idtag",
            "--ping-interval", "0",
            # Every load connection comes from 127.0.0.1.
            "--max-connections-per-address", "0",
        ] + log_frames
    if kind == "ocpp-peer":
        return [sys.executable, os.path.join(HERE, "servers", "ocpp_peer.py"), "--port", str(port)]
    if kind == "autobahn-bare":
        return [sys.executable, os.path.join(HERE, "servers", "bare_autobahn.py"), "--port", str(port)]
    raise ValueError(f"unknown server {kind!r}")


def available(kind: str) -> str | None:
    """
    Why server C{kind} cannot run here, or C{None} if it can.
    """
    if kind == "external" and not EXTERNAL_COMMAND:
        return "needs --server-command 'CMD with {port}'"
    if kind == "openocpp-base" and not BASELINE_PATH:
        return "needs --baseline-path DIR"
    if kind == "ocpp-peer":
        try:
            import ocpp  # noqa: F401
            import websockets  # noqa: F401
        except ImportError:
            return "needs the bench extra (pip install -e '.[bench]')"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _wait_listening(process: subprocess.Popen, port: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"the server did not listen within {timeout:g} s")


# -- /proc ------------------------------------------------------------------------


def process_cpu(pid: int) -> float | None:
    """
    CPU seconds (user and system) process C{pid} has used.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_memory(pid: int) -> dict[str, int]:
    """
    C{VmRSS} and C{VmHWM} (peak RSS) of process C{pid}, in KiB.
    """
    memory = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":")
                    memory[name] = int(value.split()[0])
    except OSError:
        pass
    return memory


def machine_busy() -> float | None:
    """
    CPU seconds every process on the machine has used (all cores).
    """
    try:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


# -- one run ----------------------------------------------------------------------


def _pinned(command: list[str], cpu: int | None) -> list[str]:
    if cpu is None:
        return command
    return ["taskset", "-c", str(cpu)] + command


#: The source tree whose openocpp the openocpp servers run (C{--openocpp-path}).
OPENOCPP_PATH = ROOT


def _env(openocpp: bool = False, baseline: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    path = BASELINE_PATH if baseline else OPENOCPP_PATH if openocpp else ROOT
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _read_tagged(process: subprocess.Popen, tag: str, timeout: float) -> dict:
    """
    The JSON of the next C{TAG {...}} line a load generator prints.
    """
    import selectors

    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise RuntimeError(f"no {tag} line from the load generator within {timeout:g} s")
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the load generator exited before its {tag} line")
            if line.startswith(tag + " "):
                return json.loads(line[len(tag) + 1:])


def _start_profiler(pid, kind, scenario, repeat, duration, profile_dir, cpu) -> subprocess.Popen:
    """
    Sample the server with py-spy over the measured window: collapsed
    stacks (one line per stack and its count, C{--format raw}) in
    C{profile_dir}.
    """
    os.makedirs(profile_dir, exist_ok=True)
    output = os.path.join(profile_dir, f"{scenario.name}-{kind}-{repeat}.txt")
    command = [
        _py_spy(), "record", "--pid", str(pid), "--duration", str(max(1, int(duration))),
        "--rate", "250", "--format", "raw", "--output", output,
    ]
    return subprocess.Popen(
        _pinned(command, cpu), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _py_spy() -> str:
    script = os.path.join(os.path.dirname(sys.executable), "py-spy")
    return script if os.access(script, os.X_OK) else "py-spy"


def _percentile(ordered: list[int], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))] / 1000.0


def _merge(sorted_lists: list[list[int]]) -> list[int]:
    import heapq

    return list(heapq.merge(*sorted_lists))


def _persisted(database: str) -> tuple[int, int] | None:
    """
    Transactions in the SQLite file: all of them, and those stopped.
    """
    if not os.path.exists(database):
        return None
    connection = sqlite3.connect(database)
    try:
        (total,) = connection.execute("SELECT count(*) FROM transactions").fetchone()
        (stopped,) = connection.execute(
            "SELECT count(*) FROM transactions WHERE stop_timestamp IS NOT NULL"
        ).fetchone()
    finally:
        connection.close()
    return total, stopped


def run_once(
    kind: str,
    scenario: Scenario,
    repeat: int,
    duration: float,
    warmup: float,
    ramp: float,
    loadgen_procs: int,
    cpus: tuple[int | None, int | None],
    log,
    profile_dir: str | None = None,
) -> dict:
    """
    Start server C{kind}, load it as C{scenario} says, stop it: the run's
    figures.
    """
    server_cpu, load_cpu = cpus
    workdir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
    port = _free_port()
    server_log = open(os.path.join(workdir, "server.out"), "w")
    server = subprocess.Popen(
        _pinned(server_command(kind, port, workdir), server_cpu),
        cwd=workdir,
        env=_env(openocpp=kind.startswith("openocpp"), baseline=kind == "openocpp-base"),
        stdin=subprocess.DEVNULL,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    loads: list[subprocess.Popen] = []
    try:
        startup = _wait_listening(server, port, 30.0)
        time.sleep(0.5)
        idle = process_memory(server.pid).get("VmRSS")

        # -- connect and boot every charge point
        shares = [
            scenario.clients // loadgen_procs + (1 if i < scenario.clients % loadgen_procs else 0)
            for i in range(loadgen_procs)
        ]
        first = 0
        for share in shares:
            loads.append(
                subprocess.Popen(
                    _pinned(
                        [
                            sys.executable, LOADGEN,
                            "--url", f"ws://{LOOPBACK}:{port}/ocpp/",
                            "--prefix", "CP",
                            "--first", str(first),
                            "--count", str(share),
                            "--ramp", str(ramp / loadgen_procs),
                            "--interval", str(scenario.interval),
                            "--result", os.path.join(workdir, f"load-{len(loads)}.json"),
                        ],
                        load_cpu,
                    ),
                    env=_env(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            first += share
        connect_timeout = scenario.clients / ramp + 90.0
        ready = [_read_tagged(load, "READY", connect_timeout) for load in loads]
        connected_rss = process_memory(server.pid).get("VmRSS")
        booted = sum(r["booted"] for r in ready)

        # -- the load: warm-up, then the measured window
        start = time.monotonic() + warmup
        end = start + duration
        for load in loads:
            load.stdin.write(f"GO {start!r} {end!r}\n")
            load.stdin.flush()
        time.sleep(max(0.0, start - time.monotonic()))
        profiler = None
        if profile_dir is not None:
            profiler = _start_profiler(server.pid, kind, scenario, repeat, duration, profile_dir, load_cpu)
        cpu0 = process_cpu(server.pid)
        load0 = [process_cpu(load.pid) for load in loads]
        busy0 = machine_busy()
        time.sleep(max(0.0, end - time.monotonic()))
        cpu1 = process_cpu(server.pid)
        load1 = [process_cpu(load.pid) for load in loads]
        busy1 = machine_busy()
        for load in loads:
            _read_tagged(load, "RESULT", 120.0)
        results = []
        for number in range(len(loads)):
            with open(os.path.join(workdir, f"load-{number}.json")) as figures:
                results.append(json.load(figures))
        memory = process_memory(server.pid)
        if profiler is not None:
            profiler.wait(60)
    finally:
        for load in loads:
            if load.poll() is None:
                load.kill()
            load.wait(10)
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
        server_log.close()

    persisted = None
    if kind in ("openocpp", "openocpp-logframes", "openocpp-trace", "openocpp-nometrics", "openocpp-base"):
        persisted = _persisted(os.path.join(workdir, "cs.sqlite"))
    shutil.rmtree(workdir, ignore_errors=True)

    latencies = _merge([r["latencies_us"] for r in results])
    errors: dict[str, int] = {}
    for r in ready + results:
        for name, count in r["errors"].items():
            errors[name] = errors.get(name, 0) + count
    samples = [s for r in ready + results for s in r["error_samples"]][:5]
    server_cpu_s = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    load_cpu_s = sum(b - a for a, b in zip(load0, load1) if a is not None and b is not None)
    other_cpu_s = None
    if busy0 is not None and server_cpu_s is not None:
        other_cpu_s = max(0.0, busy1 - busy0 - server_cpu_s - load_cpu_s)
    started = sum(r["started_transactions"] for r in results)
    stopped = sum(r["stopped_transactions"] for r in results)
    hwm = memory.get("VmHWM")
    result = {
        "benchmark": "centralsystem",
        "scenario": scenario.name,
        "server": kind,
        "repeat": repeat,
        "clients": scenario.clients,
        "interval_s": scenario.interval,
        "connected": sum(r["connected"] for r in ready),
        "booted": booted,
        "connect_s": max(r["connect_s"] for r in ready),
        "seconds": duration,
        "calls": len(latencies),
        "calls_per_s": round(len(latencies) / duration, 1),
        "p50_ms": round(_percentile(latencies, 0.50), 3),
        "p90_ms": round(_percentile(latencies, 0.90), 3),
        "p99_ms": round(_percentile(latencies, 0.99), 3),
        "max_ms": round(latencies[-1] / 1000.0, 3) if latencies else None,
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "error_samples": samples,
        "calls_from_server": sum(r["calls_from_server"] for r in results),
        "server_cpu_pct": None if server_cpu_s is None else round(100 * server_cpu_s / duration, 1),
        "server_cpu_us_per_call": (
            round(server_cpu_s / len(latencies) * 1e6, 1) if server_cpu_s and latencies else None
        ),
        "server_startup_s": round(startup, 3),
        "server_idle_rss_kib": idle,
        "server_connected_rss_kib": connected_rss,
        "server_peak_rss_kib": hwm,
        "server_kib_per_connection": (
            round((connected_rss - idle) / booted, 2) if idle and connected_rss and booted else None
        ),
        "server_peak_kib_per_connection": (
            round((hwm - idle) / booted, 2) if idle and hwm and booted else None
        ),
        "load_cpu_pct": round(100 * load_cpu_s / duration, 1),
        "load_processes": len(loads),
        "other_cpu_pct": None if other_cpu_s is None else round(100 * other_cpu_s / duration, 1),
        "transactions_started": started,
        "transactions_stopped": stopped,
        "transactions_in_store": None if persisted is None else persisted[0],
        "transactions_stopped_in_store": None if persisted is None else persisted[1],
        "pinned": server_cpu is not None,
    }
    log(_row(result))
    return result


# -- the report -------------------------------------------------------------------

_HEADER = (
    f"{'scenario':<10} {'server':<18} {'run':>3} {'N':>6} {'booted':>6} {'calls/s':>8} "
    f"{'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>8} {'errors':>6} "
    f"{'srv CPU':>7} {'peak RSS':>9} {'KiB/conn':>8} {'load CPU':>8} {'others':>6} "
    f"{'stored tx':>11}"
)


def _row(r: dict) -> str:
    def pct(value):
        return "n/a" if value is None else f"{value:.0f}%"

    stored = ""
    if r["transactions_in_store"] is not None:
        stored = f"{r['transactions_in_store']}/{r['transactions_started']}"
    peak = "n/a" if r["server_peak_rss_kib"] is None else f"{r['server_peak_rss_kib'] / 1024:.0f} MiB"
    per_connection = r["server_kib_per_connection"]
    return (
        f"{r['scenario']:<10} {r['server']:<18} {r['repeat']:>3} {r['clients']:>6} {r['booted']:>6} "
        f"{r['calls_per_s']:>8.0f} {r['p50_ms']:>7.2f} {r['p90_ms']:>7.2f} {r['p99_ms']:>7.2f} "
        f"{(r['max_ms'] or float('nan')):>8.2f} {r['errors']:>6} {pct(r['server_cpu_pct']):>7} "
        f"{peak:>9} {'n/a' if per_connection is None else f'{per_connection:.1f}':>8} "
        f"{pct(r['load_cpu_pct']):>8} {pct(r['other_cpu_pct']):>6} {stored:>11}"
    )


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def summarize(results: list[dict]) -> list[dict]:
    """
    Per scenario and server, the mean of the runs; and the ratios.
    """
    summaries = []
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        runs = [r for r in results if r["scenario"] == scenario]
        by_server = {}
        for server in dict.fromkeys(r["server"] for r in runs):
            mine = [r for r in runs if r["server"] == server]
            by_server[server] = {
                key: _mean([r[key] for r in mine])
                for key in (
                    "calls_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "server_cpu_pct",
                    "server_cpu_us_per_call", "server_peak_rss_kib", "server_kib_per_connection",
                    "load_cpu_pct", "server_startup_s",
                )
            }
            by_server[server]["errors"] = sum(r["errors"] for r in mine)
            by_server[server]["all_booted"] = all(r["booted"] == r["clients"] for r in mine)
            by_server[server]["runs"] = len(mine)
        # Calls/s are compared flat out only (paced, every server makes the
        # pace); server CPU per call is compared in every scenario.
        flat = runs[0]["interval_s"] == 0
        ratios, cpu_ratios = {}, {}
        for ours in ("openocpp", "openocpp-memory", "openocpp-base", "external"):
            for theirs in ("ocpp-peer", "autobahn-bare"):
                if ours not in by_server or theirs not in by_server:
                    continue
                mine, other = by_server[ours], by_server[theirs]
                if flat and other["calls_per_s"]:
                    ratios[f"{ours}/{theirs}"] = round(mine["calls_per_s"] / other["calls_per_s"], 3)
                if mine["server_cpu_us_per_call"] and other["server_cpu_us_per_call"]:
                    cpu_ratios[f"{ours}/{theirs}"] = round(
                        mine["server_cpu_us_per_call"] / other["server_cpu_us_per_call"], 3
                    )
        summaries.append(
            {
                "benchmark": "centralsystem-summary",
                "scenario": scenario,
                "servers": by_server,
                "ratios": ratios,
                "cpu_per_call_ratios": cpu_ratios,
            }
        )
    return summaries


def targets(summaries: list[dict]) -> list[tuple[str, str, bool | None]]:
    """
    The targets of issues 5 and 17, for the default central system:
    (target, measured, holds).
    """
    checks = []
    by_scenario = {s["scenario"]: s for s in summaries}
    flat = by_scenario.get("1000")
    if flat:
        for theirs, wanted in (("ocpp-peer", 3.0), ("autobahn-bare", 0.5)):
            ratio = flat["ratios"].get(f"openocpp/{theirs}")
            if ratio is not None:
                checks.append(
                    (f"N=1000 flat out: openocpp >= {wanted:g}x {theirs}'s calls/s", f"{ratio:.2f}x", ratio >= wanted)
                )
        cpu = flat["cpu_per_call_ratios"].get("openocpp/autobahn-bare")
        if cpu is not None:
            checks.append(
                ("N=1000 flat out: server CPU per call <= 1.3x autobahn-bare's", f"{cpu:.2f}x", cpu <= 1.3)
            )
    paced = by_scenario.get("1000paced", {}).get("servers", {}).get("openocpp")
    if paced:
        checks.append(("N=1000 paced 1,000 calls/s: p99 < 3 ms", f"{paced['p99_ms']:.2f} ms", paced["p99_ms"] < 3))
    scale = by_scenario.get("10000paced", {}).get("servers", {}).get("openocpp")
    if scale:
        checks.append(("N=10,000: all connected and booted", str(scale["all_booted"]), scale["all_booted"]))
        checks.append(("N=10,000 paced: p99 < 50 ms", f"{scale['p99_ms']:.2f} ms", scale["p99_ms"] < 50))
    per_connection = [
        s["servers"]["openocpp"]["server_kib_per_connection"]
        for s in summaries
        if "openocpp" in s["servers"] and s["servers"]["openocpp"]["server_kib_per_connection"]
        and s["scenario"] in ("1000", "1000paced", "10000paced")
    ]
    if per_connection:
        worst = max(per_connection)
        checks.append(("N>=1,000: RSS <= 12 KiB per connection", f"{worst:.1f} KiB", worst <= 12.5))
    startups = [
        server["server_startup_s"]
        for s in summaries
        for name, server in s["servers"].items()
        if name == "openocpp" and server["server_startup_s"] is not None
    ]
    if startups:
        startup = max(startups)
        checks.append(("start-up of the default central system < 1 s", f"{startup:.2f} s", startup < 1))
    for s in summaries:
        for name, server in s["servers"].items():
            if server["errors"]:
                checks.append((f"{s['scenario']} {name}: no errors", str(server["errors"]), False))
    return checks


def _version(distribution: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict:
    """
    The machine and the versions the figures were measured with, the
    accelerators autobahn uses among them (every server runs in this
    Python, so bare autobahn has the same ones).
    """
    import platform

    model = None
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    accelerators = {}
    try:
        from autobahn import websocket
        from autobahn.websocket import utf8validator

        # autobahn >= 25 has its own native masker and UTF-8 validator
        # (NVX, CFFI) and no longer imports wsaccel.
        accelerators["nvx"] = getattr(websocket, "USES_NVX", None)
        accelerators["utf8validator"] = utf8validator.Utf8Validator.__module__
        accelerators["wsaccel imported"] = "wsaccel" in sys.modules
    except Exception as error:  # an autobahn without these modules
        accelerators["error"] = repr(error)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": {
            name: _version(name)
            for name in ("twisted", "autobahn", "wsaccel", "orjson", "pluggy", "ocpp", "websockets", "uvloop")
        },
        "accelerators": accelerators,
    }


def markdown(results: list[dict], summaries: list[dict], checks, env: dict, command: str) -> str:
    """
    The figures as Markdown for C{docs/performance.md}: the machine, the
    means per scenario and server, the ratios, the targets.
    """
    versions = ", ".join(f"{name} {version}" for name, version in env["versions"].items() if version)
    lines = [
        f"`{command}`",
        "",
        f"Machine: {env['cpu']}, {env['cores']} cores; Python {env['python']}; {versions};"
        f" autobahn's accelerators: {', '.join(f'{k} {v}' for k, v in env['accelerators'].items())}.",
        "",
        "| scenario | server | runs | calls/s | p50 ms | p99 ms | server CPU per call | x bare autobahn | KiB/conn | others | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for summary in summaries:
        others = {}
        for r in results:
            if r["scenario"] == summary["scenario"]:
                others.setdefault(r["server"], []).append(r["other_cpu_pct"])
        for server, f in summary["servers"].items():
            bare = summary["servers"].get("autobahn-bare", {}).get("server_cpu_us_per_call")
            mine = f["server_cpu_us_per_call"]
            ratio = mine / bare if mine and bare else None
            other = _mean(others.get(server, []))

            def fmt(value, pattern):
                return "n/a" if value is None else pattern.format(value)

            lines.append(
                f"| {summary['scenario']} | {server} | {f['runs']} | {fmt(f['calls_per_s'], '{:,.0f}')} | "
                f"{fmt(f['p50_ms'], '{:.2f}')} | {fmt(f['p99_ms'], '{:.2f}')} | "
                f"{fmt(f['server_cpu_us_per_call'], '{:.0f} us')} | {fmt(ratio, '{:.2f}x')} | "
                f"{fmt(f['server_kib_per_connection'], '{:.1f}')} | {fmt(other, '{:.0f} %')} | {f['errors']} |"
            )
    if checks:
        lines += ["", "| target | measured | |", "| --- | --- | --- |"]
        lines += [f"| {target} | {measured} | {'holds' if holds else 'missed'} |" for target, measured, holds in checks]
    return "\n".join(lines) + "\n"


def twistd_help_seconds() -> float:
    """
    Seconds C{twistd openocpp centralsystem --help} takes (lazy imports).
    """
    began = time.monotonic()
    subprocess.run(
        _twistd() + ["openocpp", "centralsystem", "--help"],
        env=_env(openocpp=True),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.monotonic() - began


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scenario",
        default="all",
        help="comma-separated: " + ", ".join(SCENARIOS) + " or all (all)",
    )
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help="comma-separated (all four; also openocpp-logframes: openocpp with --log-frames; "
        "openocpp-trace: openocpp with --trace; openocpp-nometrics: with --no-metrics)",
    )
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per run (20)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of load before measuring (3; paced: interval + 2)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each scenario and server (2)")
    parser.add_argument("--ramp", type=float, default=500.0, help="charge points connected per second (500)")
    parser.add_argument("--loadgen-procs", type=int, default=None, help="load generator processes (1 per 5,000 charge points)")
    parser.add_argument("--quick", action="store_true", help="50 charge points, 3 s, one run each: a smoke run")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load to different cores")
    parser.add_argument("--json-out", help="write the JSON lines to this file (default: standard output)")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="sample each server with py-spy (pip install py-spy) over the measured window, "
        "collapsed stacks written to DIR",
    )
    parser.add_argument(
        "--openocpp-path",
        metavar="DIR",
        help="run the openocpp servers from this source tree (a branch's checkout) instead of this one",
    )
    parser.add_argument(
        "--baseline-path",
        metavar="DIR",
        help="also run server openocpp-base: the default openocpp from this source tree "
        "(e.g. a `git archive main` copy), in the same minutes as this one",
    )
    parser.add_argument(
        "--server-command",
        metavar="CMD",
        help="also run server external: any OCPP 1.6-J central system this command line starts, "
        "listening on 127.0.0.1:{port} ({port} is replaced), accepting any charge point on /ocpp/<id>",
    )
    parser.add_argument(
        "--markdown-out",
        metavar="FILE",
        help="write the means, ratios, targets, machine and versions as Markdown to FILE "
        "(for docs/performance.md)",
    )
    options = parser.parse_args()
    global OPENOCPP_PATH, BASELINE_PATH, EXTERNAL_COMMAND
    if options.openocpp_path:
        OPENOCPP_PATH = os.path.abspath(options.openocpp_path)
    if options.baseline_path:
        BASELINE_PATH = os.path.abspath(options.baseline_path)
    if options.server_command:
        if "{port}" not in options.server_command:
            parser.error("--server-command needs {port} where the port goes")
        try:
            program = shlex.split(options.server_command)[0]
        except (ValueError, IndexError) as error:
            parser.error(f"--server-command: {error or 'empty'}")
        # Run from a temporary directory: a relative program is found from here.
        found = shutil.which(program)
        if found is None:
            parser.error(f"--server-command: no program {program!r} (give its path, or one on PATH)")
        EXTERNAL_COMMAND = options.server_command.replace(program, os.path.abspath(found), 1)
    try:
        import websockets  # noqa: F401
    except ImportError:
        sys.exit("the load generator needs websockets: pip install -e '.[bench]'")

    if options.quick:
        scenarios = [QUICK]
        duration, repeat = 3.0, 1
        warmup = 1.0 if options.warmup is None else options.warmup
    else:
        names = list(SCENARIOS) if options.scenario == "all" else options.scenario.split(",")
        unknown = [name for name in names if name not in SCENARIOS]
        if unknown:
            parser.error(f"unknown scenario {', '.join(unknown)}")
        scenarios = [SCENARIOS[name] for name in names]
        duration, repeat, warmup = options.duration, options.repeat, options.warmup
    servers = options.servers.split(",")
    if options.baseline_path and "openocpp-base" not in servers:
        servers.append("openocpp-base")
    if options.server_command and "external" not in servers:
        servers.append("external")
    unknown = [name for name in servers if name not in SERVERS + EXTRA_SERVERS]
    if unknown:
        parser.error(f"unknown server {', '.join(unknown)}")
    for name in list(servers):
        why = available(name)
        if why:
            print(f"skipping {name}: {why}", file=sys.stderr)
            servers.remove(name)

    cpus: tuple[int | None, int | None] = (None, None)
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) >= 2 and not options.no_pin and shutil.which("taskset"):
        cpus = (cores[0], cores[1])
        os.sched_setaffinity(0, {cores[1]})
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers
    except (ImportError, ValueError, OSError):
        pass

    help_s = twistd_help_seconds()
    print(
        f"Central system benchmark: {', '.join(s.name for s in scenarios)}; servers {', '.join(servers)}; "
        f"{duration:g} s measured per run, {repeat} run(s) each; ramp {options.ramp:g} connections/s; "
        + (f"server on CPU {cpus[0]}, load on CPU {cpus[1]}" if cpus[0] is not None else "not pinned"),
        flush=True,
    )
    print(_HEADER, flush=True)
    results = []
    for scenario in scenarios:
        scenario_warmup = warmup
        if scenario_warmup is None:
            scenario_warmup = scenario.interval + 2.0 if scenario.interval else 3.0
        procs = options.loadgen_procs or max(1, math.ceil(scenario.clients / PER_LOADGEN))
        for number in range(1, repeat + 1):
            for kind in servers:
                try:
                    results.append(
                        run_once(
                            kind, scenario, number, duration, scenario_warmup, options.ramp,
                            procs, cpus, lambda line: print(line, flush=True), options.profile,
                        )
                    )
                except RuntimeError as error:
                    print(f"{scenario.name:<10} {kind:<18} {number:>3} failed: {error}", flush=True)

    summaries = summarize(results)
    print()
    print("Means over the runs; ratios of calls/s (flat out) and of server CPU per call:")
    for summary in summaries:
        for server, figures in summary["servers"].items():
            shown = {key: float("nan") if value is None else value for key, value in figures.items()}
            print(
                f"  {summary['scenario']:<10} {server:<18} {shown['calls_per_s']:>8.0f} calls/s  "
                f"p50 {shown['p50_ms']:.2f}  p99 {shown['p99_ms']:.2f} ms  "
                f"server {shown['server_cpu_us_per_call']:.0f} us CPU/call  "
                f"errors {figures['errors']}"
            )
        for name, ratio in summary["ratios"].items():
            print(f"  {summary['scenario']:<10} {name:<32} {ratio:.2f}x the calls/s")
        for name, ratio in summary["cpu_per_call_ratios"].items():
            print(f"  {summary['scenario']:<10} {name:<32} {ratio:.2f}x the server CPU per call")
    print(f"  twistd openocpp centralsystem --help: {help_s:.2f} s")
    checks = targets(summaries)
    if checks:
        print()
        print("Targets (issues 5 and 17), default central system:")
        for target, measured, holds in checks:
            print(f"  {'holds' if holds else 'MISSED':<6} {target}: {measured}")

    env = environment()
    print(
        f"\nMachine: {env['cpu']}, {env['cores']} cores, Python {env['python']}; "
        + ", ".join(f"{name} {version}" for name, version in env["versions"].items() if version)
        + "; autobahn's accelerators: "
        + ", ".join(f"{k} {v}" for k, v in env["accelerators"].items())
    )
    if options.markdown_out:
        with open(options.markdown_out, "w") as out:
            out.write(markdown(results, summaries, checks, env, " ".join(["python"] + sys.argv)))
        print(f"Markdown written to {options.markdown_out}")
    lines = [json.dumps(r) for r in results + summaries]
    lines.append(json.dumps({"benchmark": "centralsystem-startup", "twistd_help_s": round(help_s, 3)}))
    lines.append(json.dumps({"benchmark": "centralsystem-environment", **env}))
    if options.json_out:
        with open(options.json_out, "w") as out:
            out.write("\n".join(lines) + "\n")
        print(f"\nJSON lines written to {options.json_out}")
    else:
        print()
        print("\n".join(lines))
    failed = len(results) < len(scenarios) * len(servers) * repeat
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
