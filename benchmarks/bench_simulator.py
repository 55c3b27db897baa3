"""
Simulator benchmark: the CPU and memory of C{--count N} simulated charge
points in one process, against the default central system in its own.

    python benchmarks/bench_simulator.py                 # 1,000 charge points, about 90 s
    python benchmarks/bench_simulator.py --quick         # 100, about 25 s
    python benchmarks/bench_simulator.py --count 500 --ramp 50 --window 20

It starts C{twistd -n openocpp centralsystem --accept-any-idtag} on
loopback, then C{twistd -n openocpp chargepoint --count N --identity
'SIM{n:04d}' --ramp R --scenario S} where every charge point plugs in,
authorizes and charges a long session (so MeterValues flow, every 60 s:
MeterValueSampleInterval 60, MeterValuesSampledData with energy, power,
current and voltage per phase and SoC; HeartbeatInterval as the central
system's BootNotification.conf gives). Each process logs into its own file.

Reported: the time until every charge point is connected, the
simulator's RSS then (VmRSS) and per charge point, its CPU (% of one core)
over C{--window} seconds after that, the central system's CPU over the
same window, and the machine's load average (above the cores: the figures
are disturbed by other work).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(HERE)

SCENARIO = """\
steps:
  - plug_in
  - authorize: SIM-TAG
  - charge: {kwh: 60, kw: 11}
"""

INI = """\
[ocpp]
MeterValueSampleInterval = 60
MeterValuesSampledData = Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC
"""

_CONNECTED = re.compile(r"Simulator: (\d+)/(\d+) charge points connected")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def twistd(arguments, log_path, folder):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPOSITORY, env.get("PYTHONPATH")]))
    log = open(log_path, "w")
    return subprocess.Popen(
        [sys.executable, "-c", "from twisted.scripts.twistd import run; run()", "-n", "--pidfile=",
         *arguments],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=env,
    )


def connected(log_path: str) -> tuple[int, int]:
    with open(log_path, errors="replace") as log:
        found = _CONNECTED.findall(log.read()[-20000:])
    return tuple(map(int, found[-1])) if found else (0, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--ramp", type=float, default=25.0, help="charge points started a second")
    parser.add_argument("--window", type=float, default=30.0, help="seconds CPU is measured over")
    parser.add_argument("--boot-timeout", type=float, default=90.0)
    parser.add_argument("--quick", action="store_true", help="100 charge points, a 10 s window")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of text")
    args = parser.parse_args()
    if args.quick:
        args.count, args.window = 100, 10.0
    folder = tempfile.mkdtemp(prefix="bench-simulator-")
    port = free_port()
    with open(os.path.join(folder, "scenario.yaml"), "w") as file:
        file.write(SCENARIO)
    with open(os.path.join(folder, "sim.ini"), "w") as file:
        file.write(INI)
    central = twistd(
        ["openocpp", "centralsystem", "--accept-any-idtag", "--db", "cs.sqlite",
         "--listen", f"tcp:{port}:interface=127.0.0.1"],
        os.path.join(folder, "cs.log"), folder,
    )
    simulator = None
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        sim_log = os.path.join(folder, "sim.log")
        began = time.monotonic()
        simulator = twistd(
            ["openocpp", "chargepoint", "--url", f"ws://127.0.0.1:{port}/openocpp",
             "--count", str(args.count), "--identity", "SIM{n:04d}", "--ramp", str(args.ramp),
             "--scenario", "scenario.yaml", "--ocpp-ini", "sim.ini", "--progress", "2",
             "--db", "cps/{identity}.sqlite"],
            sim_log, folder,
        )
        while time.monotonic() - began < args.boot_timeout:
            time.sleep(1)
            if simulator.poll() is not None:
                print(f"the simulator exited ({simulator.returncode}); see {sim_log}")
                return 1
            up, total = connected(sim_log)
            if total and up == total == args.count:
                break
        booted = time.monotonic() - began
        up, _ = connected(sim_log)
        rss = rss_kb(simulator.pid)
        sim_cpu, cs_cpu, wall = cpu_seconds(simulator.pid), cpu_seconds(central.pid), time.monotonic()
        time.sleep(args.window)
        wall = time.monotonic() - wall
        sim_cpu = (cpu_seconds(simulator.pid) - sim_cpu) / wall * 100
        cs_cpu = (cpu_seconds(central.pid) - cs_cpu) / wall * 100
        figures = {
            "count": args.count,
            "connected": up,
            "seconds_to_connect_all": round(booted, 1),
            "simulator_rss_mb": round(rss / 1024, 1),
            "simulator_rss_kb_per_charge_point": round(rss / max(args.count, 1), 1),
            "simulator_cpu_percent": round(sim_cpu, 1),
            "central_system_cpu_percent": round(cs_cpu, 1),
            "window_seconds": round(wall, 1),
            "load_average": os.getloadavg()[0],
            "cores": os.cpu_count(),
        }
        if args.json:
            print(json.dumps(figures))
        else:
            print(
                f"{up}/{args.count} simulated charge points connected in {booted:.1f} s "
                f"(--ramp {args.ramp:g})\n"
                f"simulator RSS {rss / 1024:.1f} MB ({rss / max(args.count, 1):.0f} KB a charge point)\n"
                f"simulator CPU {sim_cpu:.1f} % of a core over {wall:.0f} s, "
                f"central system CPU {cs_cpu:.1f} %\n"
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            )
        return 0 if up == args.count else 1
    finally:
        for process in (simulator, central):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (simulator, central):
            if process is not None:
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
