"""
Connection scale: how many charge points at a realistic pace the central
system holds, in one process or several, and what each costs.

    pip install -e '.[bench]'
    python benchmarks/bench_connections.py --clients 5000 --step 1000      # a short run
    python benchmarks/bench_connections.py --clients 20000 --nodes 1       # the one-process limit
    python benchmarks/bench_connections.py --clients 100000 --nodes 6      # 100,000, six processes
    python benchmarks/bench_connections.py --clients 100000 --nodes 6 \\
        --store postgresql://... --bus redis://...                          # sharing one central system
    python benchmarks/bench_connections.py --clients 100000 --nodes 6 --engines  # the same, throwaway engines

The fleet (C{fleet.py}, several processes of at most C{--per-process}
charge points each, every one from its own loopback source address
127.0.0.2, 127.0.0.3, ... so that no process passes the 20,000 file
descriptors a process may hold here and no source address runs out of its
28,000 ephemeral ports) is opened in steps (C{--step}, 10,000): after each
step every charge point lives at its pace (a Heartbeat every 5 min, a
MeterValues a minute while charging, sessions starting and stopping, a
quarter of them charging; C{--pace F} makes it F times denser) for a
measured window (C{--window} seconds), and one row is printed: charge
points connected, calls/s, p50/p99 latency, the servers' CPU (% of one
core, all nodes), their RSS and RSS per connection above idle, the fleet's
CPU, C{others} (every other process on the machine), errors.

The servers: C{--nodes K} processes of C{twistd -n openocpp centralsystem
--accept-any-idtag --ping-interval 0 --max-connections-per-address 0}, one
port each, each charge point connecting to node CRC-32(identity) mod K.
Without C{--store} each node has its own SQLite file (K central systems
side by side, nothing shared: the figure of what K processes hold); with
C{--store URL} and C{--bus URL} (branches pg-store and cluster-bus) they
are one central system, C{--node-id nodeI} each.  A process holds at most
20,000 file descriptors here: one per connection, so one node is capped
near 19,900 charge points, and 100,000 need six nodes or more.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_centralsystem as central  # noqa: E402  (process figures, servers' helpers)

FLEET = os.path.join(HERE, "fleet.py")
#: The file descriptor limit of a process here (hard; cannot be raised).
FD_LIMIT = 20000
#: Descriptors a node needs besides its connections (listener, log,
#: SQLite, epoll, pipes): what keeps one node under FD_LIMIT connections.
NODE_RESERVE = 100


class Nodes:
    """
    K central-system processes, one port each, their work files in C{workdir}.
    """

    def __init__(self, count: int, workdir: str, store: str | None, bus: str | None, extra: list[str],
                 api: bool = False) -> None:
        self.count = count
        self.workdir = workdir
        self.store = store
        self.bus = bus
        self.extra = extra
        self.ports = [central._free_port() for _ in range(count)]
        #: The HTTP API's port of each node (with C{api}).
        self.api_ports = [central._free_port() for _ in range(count)] if api else []
        self.processes: list[subprocess.Popen] = []
        self.logs = []
        self.idle_rss: list[int] = []

    def command(self, number: int) -> list[str]:
        node_dir = os.path.join(self.workdir, f"node{number}")
        os.makedirs(node_dir, exist_ok=True)
        command = central._twistd() + [
            "-n",
            "--logfile", os.path.join(node_dir, "twistd.log"),
            "--pidfile", os.path.join(node_dir, "twistd.pid"),
            "openocpp", "centralsystem",
            "--listen", f"tcp:{self.ports[number]}:interface={central.LOOPBACK}",
            "--accept-any-idtag",
            "--ping-interval", "0",
            # The fleet comes from a few loopback addresses.
            "--max-connections-per-address", "0",
        ]
        if self.store:
            command += ["--store", self.store, "--node-id", f"node{number}"]
        else:
            command += ["--db", os.path.join(node_dir, "cs.sqlite")]
        if self.bus:
            command += ["--bus", self.bus]
        if self.api_ports:
            command += ["--api", f"tcp:{self.api_ports[number]}:interface={central.LOOPBACK}"]
        return command + [argument.replace("{node}", str(number)) for argument in self.extra]

    def start(self) -> None:
        for number in range(self.count):
            log = open(os.path.join(self.workdir, f"node{number}.out"), "w")
            self.logs.append(log)
            self.processes.append(
                subprocess.Popen(
                    self.command(number),
                    cwd=self.workdir,
                    env=central._env(openocpp=True),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # A Ctrl-C reaches this process alone, which stops
                    # the nodes in order (main's finally).
                    start_new_session=True,
                )
            )
        for process, port in zip(self.processes, self.ports):
            central._wait_listening(process, port, 60.0)
        for process, port in zip(self.processes, self.api_ports):
            central._wait_listening(process, port, 60.0)
        time.sleep(0.5)
        self.idle_rss = [central.process_memory(p.pid).get("VmRSS", 0) for p in self.processes]

    @property
    def urls(self) -> list[str]:
        return [f"ws://{central.LOOPBACK}:{port}/ocpp/" for port in self.ports]

    def cpu(self) -> list[float | None]:
        return [central.process_cpu(p.pid) for p in self.processes]

    def rss(self) -> list[int]:
        return [central.process_memory(p.pid).get("VmRSS", 0) for p in self.processes]

    def exited(self) -> list[int]:
        return [number for number, p in enumerate(self.processes) if p.poll() is not None]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        for log in self.logs:
            log.close()


class FleetProcesses:
    """
    The fleet's processes, C{per_process} charge points at most each, each
    from its own loopback source address.
    """

    def __init__(self, clients: int, per_process: int, urls: list[str], options, stats_dir: str) -> None:
        self.stats_dir = stats_dir
        count = math.ceil(clients / per_process)
        self.shares = [clients // count + (1 if i < clients % count else 0) for i in range(count)]
        self.processes: list[subprocess.Popen] = []
        first = 0
        for number, share in enumerate(self.shares):
            command = [
                sys.executable, FLEET,
                "--url", ",".join(urls),
                "--source", f"127.0.0.{2 + number}",
                "--first", str(first),
                "--count", str(share),
                "--ramp", str(options.ramp / count),
                "--opening", str(max(1, options.opening // count)),
                "--pace", str(options.pace),
                "--heartbeat", str(options.heartbeat),
                "--meter-interval", str(options.meter_interval),
                "--idle", str(options.idle),
                "--session", str(options.session),
                "--stats-dir", stats_dir,
            ]
            self.processes.append(
                subprocess.Popen(
                    command, env=central._env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                    start_new_session=True,
                )
            )
            first += share

    def tell(self, lines: list[str]) -> None:
        for process, line in zip(self.processes, lines):
            process.stdin.write(line + "\n")
            process.stdin.flush()

    def open(self, total: int, timeout: float) -> list[dict]:
        """
        Bring the fleet up to C{total} charge points, spread over the
        processes in proportion to their shares.
        """
        clients = sum(self.shares)
        self.tell([f"OPEN {math.ceil(share * total / clients)}" for share in self.shares])
        return [central._read_tagged(p, "OPENED", timeout) for p in self.processes]

    def mark(self, name: str) -> list[dict]:
        """
        Every process's figures since its last mark (from its file).
        """
        self.tell([f"MARK {name}-{number}" for number in range(len(self.processes))])
        for process in self.processes:
            central._read_tagged(process, "MARKED", 120.0)
        figures = []
        for number in range(len(self.processes)):
            with open(os.path.join(self.stats_dir, f"{name}-{number}.json")) as result:
                figures.append(json.load(result))
        return figures

    def cpu(self) -> float:
        return sum(c for c in (central.process_cpu(p.pid) for p in self.processes) if c is not None)

    def stop(self) -> list[dict]:
        stopped = []
        for process in self.processes:
            if process.poll() is None:
                try:
                    process.stdin.write("STOP\n")
                    process.stdin.flush()
                except OSError:
                    pass
        for process in self.processes:
            try:
                stopped.append(central._read_tagged(process, "STOPPED", 90.0))
            except RuntimeError:
                pass
            if process.poll() is None:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        return stopped


def _sum(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def step_row(target: int, opened: list[dict], opening: list[dict], figures: list[dict], window: float, cpu, rss, idle, fleet_cpu_s, others_s,
             nodes: int) -> dict:
    """
    The figures of one step.
    """
    latencies = central._merge([f["latencies_us"] for f in figures])
    errors: dict[str, int] = {}
    for f in figures:
        for name, count in f["errors"].items():
            errors[name] = errors.get(name, 0) + count
    by_action = {}
    for name in sorted({name for f in figures for name in f["by_action"]}):
        ordered = central._merge([f["by_action"].get(name, []) for f in figures])
        by_action[name] = {
            "calls": len(ordered),
            "p50_ms": round(central._percentile(ordered, 0.50), 3),
            "p99_ms": round(central._percentile(ordered, 0.99), 3),
        }
    open_errors: dict[str, int] = {}
    for f in opening:
        for name, count in f["errors"].items():
            open_errors[name] = open_errors.get(name, 0) + count
    booted = sum(o["booted"] for o in opened)
    live = booted - sum(f["lost"] for f in figures)
    seconds = max(f["seconds"] for f in figures)
    server_cpu_s = _sum(cpu)
    rss_total = sum(rss)
    return {
        "benchmark": "connections",
        "target": target,
        "nodes": nodes,
        "connected": sum(o["connected"] for o in opened),
        "booted": booted,
        "live": live,
        "open_failed": sum(o["open_failed"] for o in opened),
        "open_retried": sum(o.get("open_retried", 0) for o in opened),
        "open_s": max(o["open_s"] for o in opened),
        "open_errors": sum(open_errors.values()),
        "open_errors_by_kind": open_errors,
        "open_error_samples": [s for f in opening for s in f["error_samples"]][:5],
        "window_s": round(seconds, 2),
        "calls": len(latencies),
        "calls_per_s": round(len(latencies) / seconds, 1) if seconds else None,
        "by_action": by_action,
        "p50_ms": round(central._percentile(latencies, 0.50), 3),
        "p99_ms": round(central._percentile(latencies, 0.99), 3),
        "max_ms": round(latencies[-1] / 1000.0, 3) if latencies else None,
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "error_samples": [s for f in figures for s in f["error_samples"]][:5],
        "server_cpu_pct": None if server_cpu_s is None else round(100 * server_cpu_s / window, 1),
        "server_cpu_pct_per_node": [None if c is None else round(100 * c / window, 1) for c in cpu],
        "server_rss_mib": round(rss_total / 1024, 1),
        "server_rss_per_node_mib": [round(r / 1024, 1) for r in rss],
        "server_kib_per_connection": round((rss_total - sum(idle)) / booted, 2) if booted else None,
        "fleet_cpu_pct": round(100 * fleet_cpu_s / window, 1),
        "fleet_max_rss_mib": round(sum(f["max_rss_kib"] for f in figures) / 1024, 1),
        "other_cpu_pct": None if others_s is None else round(100 * others_s / window, 1),
    }


HEADER = (
    f"{'target':>7} {'booted':>7} {'live':>7} {'calls/s':>8} {'p50 ms':>7} {'p99 ms':>8} {'errors':>6} "
    f"{'srv CPU':>7} {'srv RSS':>9} {'KiB/conn':>8} {'fleet CPU':>9} {'others':>6} {'open s':>7} {'open err':>8} {'gave up':>7}"
)


def format_row(r: dict) -> str:
    def pct(value):
        return "n/a" if value is None else f"{value:.0f}%"

    return (
        f"{r['target']:>7} {r['booted']:>7} {r['live']:>7} {r['calls_per_s'] or 0:>8.0f} {r['p50_ms']:>7.2f} "
        f"{r['p99_ms']:>8.2f} {r['errors']:>6} {pct(r['server_cpu_pct']):>7} "
        f"{r['server_rss_mib']:>5.0f} MiB {r['server_kib_per_connection'] or float('nan'):>8.1f} "
        f"{pct(r['fleet_cpu_pct']):>9} {pct(r['other_cpu_pct']):>6} {r['open_s']:>7.1f} {r['open_errors']:>8} {r['open_failed']:>7}"
    )


def markdown(rows: list[dict], header: dict, env: dict, command: str) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in env["versions"].items() if version)
    lines = [
        f"`{command}`",
        "",
        f"Machine: {env['cpu']}, {env['cores']} cores; Python {env['python']}; {versions}. "
        f"{header['nodes']} node(s), store {header['store']}; fleet {header['fleet_processes']} processes; "
        f"pace x{header['pace']:g}; window {header['window']:g} s.",
        "",
        "| charge points | booted | live | calls/s | p50 ms | p99 ms | server CPU | server RSS | KiB/conn | fleet CPU | others | errors | open errors (tried again) | gave up opening |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        others = "n/a" if r["other_cpu_pct"] is None else f"{r['other_cpu_pct']:.0f} %"
        lines.append(
            f"| {r['target']:,} | {r['booted']:,} | {r['live']:,} | {r['calls_per_s'] or 0:,.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['server_cpu_pct']:.0f} % | {r['server_rss_mib']:,.0f} MiB | "
            f"{r['server_kib_per_connection'] or float('nan'):.1f} | {r['fleet_cpu_pct']:.0f} % | "
            f"{others} | {r['errors']} | {r['open_errors']} ({r['open_retried']}) | {r['open_failed']} |"
        )
    return "\n".join(lines) + "\n"


def parse_options(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=10000, help="charge points at the last step (10000)")
    parser.add_argument("--step", type=int, default=10000, help="charge points added per step (10000)")
    parser.add_argument("--nodes", type=int, default=1, help="central-system processes (1)")
    parser.add_argument("--store", help="a shared store URL for every node (postgresql://...; default: SQLite per node)")
    parser.add_argument("--bus", help="the nodes' bus URL (redis://...), with --store")
    parser.add_argument(
        "--engines", action="store_true",
        help="start a throwaway PostgreSQL and Redis (as bench_cluster.py does) and share them: --store and --bus of those",
    )
    parser.add_argument(
        "--server-arg", action="append", default=[], metavar="ARG",
        help="one more argument for every node ({node} replaced by its number); repeatable",
    )
    parser.add_argument("--per-process", type=int, default=10000, help="charge points per fleet process, at most (10000)")
    parser.add_argument("--ramp", type=float, default=1000.0, help="connections opened per second, whole fleet (1000)")
    parser.add_argument(
        "--opening", type=int, default=200,
        help="handshakes and boots in flight at once over the fleet, at most (200): a starved server slows the ramp",
    )
    parser.add_argument("--window", type=float, default=20.0, help="measured seconds per step (20)")
    parser.add_argument("--pace", type=float, default=1.0, help="every interval divided by this (1: realistic)")
    parser.add_argument("--heartbeat", type=float, default=300.0, help="seconds between Heartbeats (300)")
    parser.add_argument("--meter-interval", type=float, default=60.0, help="seconds between MeterValues while charging (60)")
    parser.add_argument("--idle", type=float, default=5400.0, help="mean seconds between sessions (5400)")
    parser.add_argument("--session", type=float, default=1800.0, help="mean seconds of a session (1800)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (the nodes' logs) and print it")
    parser.add_argument("--json-out", metavar="FILE", help="write one JSON line per step to FILE")
    parser.add_argument("--markdown-out", metavar="FILE", help="write the table as Markdown to FILE")
    options = parser.parse_args(argv)
    if options.clients < 1 or options.step < 1 or options.nodes < 1:
        parser.error("--clients, --step and --nodes must be at least 1")
    if not 1 <= options.per_process <= FD_LIMIT - 200:
        parser.error(f"--per-process must be between 1 and {FD_LIMIT - 200} (a process holds {FD_LIMIT} descriptors)")
    if math.ceil(options.clients / options.per_process) > 250:
        parser.error("--clients / --per-process: more than 250 fleet processes (one source address each)")
    if options.bus and not options.store:
        parser.error("--bus needs --store (nodes sharing one central system)")
    if options.engines and (options.store or options.bus):
        parser.error("--engines starts its own PostgreSQL and Redis: give it or --store/--bus, not both")
    if options.window <= 0 or options.ramp <= 0 or options.pace <= 0:
        parser.error("--window, --ramp and --pace must be positive")
    return options


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv=None) -> int:
    options = parse_options(argv)
    # SIGTERM stops the run as Ctrl-C does: everything it started stopped.
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        import websockets  # noqa: F401
    except ImportError:
        sys.exit("the fleet needs websockets: pip install -e '.[bench]'")
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by every process
    except (ImportError, ValueError, OSError):
        hard = None
    per_node = math.ceil(options.clients / options.nodes)
    capped = hard is not None and per_node > hard - NODE_RESERVE
    engines = None
    if options.engines:
        from bench_cluster import Engines

        try:
            engines = Engines()
            engines.start()
        except Exception as error:
            sys.exit(f"--engines: {error}")
        options.store, options.bus = engines.store, engines.redis.url
    workdir = tempfile.mkdtemp(prefix="bench-connections-")
    stats_dir = os.path.join(workdir, "stats")
    os.makedirs(stats_dir)
    store = options.store or "SQLite per node (not shared)"
    header = {
        "benchmark": "connections-run", "clients": options.clients, "nodes": options.nodes, "store": store,
        "bus": options.bus, "pace": options.pace, "window": options.window, "ramp": options.ramp,
        "fd_limit": hard, "per_node": per_node,
        "fleet_processes": math.ceil(options.clients / options.per_process),
    }
    print(
        f"Connections: up to {options.clients:,} charge points in steps of {options.step:,}; {options.nodes} node(s) "
        f"({per_node:,} each), store {store}; fleet {header['fleet_processes']} processes from 127.0.0.2...; "
        f"pace x{options.pace:g}; ramp {options.ramp:g}/s; window {options.window:g} s; fd limit {hard}",
        flush=True,
    )
    if capped:
        print(
            f"  note: {per_node:,} charge points a node is more than a process's {hard:,} file descriptors "
            "allow: the node is capped near that (the figure this run measures)",
            flush=True,
        )
    nodes = Nodes(options.nodes, workdir, options.store, options.bus, options.server_arg)
    fleet = None
    rows: list[dict] = []
    targets = list(range(options.step, options.clients, options.step)) + [options.clients]
    try:
        nodes.start()
        fleet = FleetProcesses(options.clients, options.per_process, nodes.urls, options, stats_dir)
        print(HEADER, flush=True)
        for number, target in enumerate(targets):
            previous = targets[number - 1] if number else 0
            # A starved server (this machine is shared) opens far slower
            # than the ramp: wait as long as 50 connections a second take.
            opened = fleet.open(target, 180.0 + (target - previous) / min(options.ramp, 50.0))
            opening = fleet.mark(f"open{number}")  # the opening's figures; the window starts now
            cpu0, fleet0, busy0 = nodes.cpu(), fleet.cpu(), central.machine_busy()
            engines0 = engines.cpu() if engines else 0.0
            began = time.monotonic()
            time.sleep(options.window)
            cpu1, fleet1, busy1 = nodes.cpu(), fleet.cpu(), central.machine_busy()
            engines_s = (engines.cpu() - engines0) if engines else 0.0
            window = time.monotonic() - began
            figures = fleet.mark(f"step{number}")
            cpu = [None if a is None or b is None else b - a for a, b in zip(cpu0, cpu1)]
            server_s = _sum(cpu) or 0.0
            others = None
            if busy0 is not None and busy1 is not None:
                others = max(0.0, busy1 - busy0 - server_s - engines_s - (fleet1 - fleet0))
            row = step_row(target, opened, opening, figures, window, cpu, nodes.rss(), nodes.idle_rss, fleet1 - fleet0, others,
                           options.nodes)
            rows.append(row)
            print(format_row(row), flush=True)
            if engines:
                row["engines_cpu_pct"] = round(100.0 * engines_s / window, 1)
                print(f"         PostgreSQL and Redis: {row['engines_cpu_pct']:.0f} % of a core", flush=True)
            if row["open_errors"]:
                print(f"         opening: {row['open_errors_by_kind']}: {row['open_error_samples'][:2]}", flush=True)
            if row["errors"]:
                print(f"         errors {row['errors_by_kind']}: {row['error_samples'][:2]}", flush=True)
            print("         " + ", ".join(
                f"{name} {a['calls']} p50 {a['p50_ms']:.1f} p99 {a['p99_ms']:.1f}" for name, a in row["by_action"].items()
            ), flush=True)
            gone = nodes.exited()
            if gone:
                print(f"  node(s) {gone} exited: stopping", flush=True)
                break
    except RuntimeError as error:
        print(f"failed: {error}", flush=True)
    except KeyboardInterrupt:
        print("interrupted: stopping the fleet and the nodes", flush=True)
    finally:
        # A second Ctrl-C must not leave the fleet, the nodes or the
        # engines running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stopped = fleet.stop() if fleet is not None else []
        nodes.stop()
        if engines:
            engines.stop()
    env = central.environment()
    print(
        f"\nMachine: {env['cpu']}, {env['cores']} cores, Python {env['python']}; "
        + ", ".join(f"{name} {version}" for name, version in env["versions"].items() if version)
    )
    if stopped:
        print(f"Fleet: {sum(s['max_rss_kib'] for s in stopped) / 1024:,.0f} MiB peak RSS over {len(stopped)} processes")
    if options.markdown_out and rows:
        with open(options.markdown_out, "w") as out:
            out.write(markdown(rows, header, env, " ".join(["python"] + sys.argv)))
    if options.json_out:
        with open(options.json_out, "w") as out:
            for line in [header] + rows + [{"benchmark": "connections-environment", **env}]:
                out.write(json.dumps(line) + "\n")
    if options.keep:
        print(f"Work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if rows and len(rows) == len(targets) else 1


if __name__ == "__main__":
    sys.exit(main())
