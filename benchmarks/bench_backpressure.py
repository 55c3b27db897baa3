"""
Back-pressure: the central system's memory under one charge point that
sends CALLs flat out and never reads the answers.

    python benchmarks/bench_backpressure.py                 # 20 s, this tree
    python benchmarks/bench_backpressure.py --tree /tmp/old # another source tree

Runs C{twistd -n openocpp centralsystem} on a loopback port (its SQLite file
and log in a temporary folder), connects one raw WebSocket client, boots it,
then sends Heartbeat CALLs as fast as the socket takes them for C{--duration}
seconds without ever reading, and samples the server's RSS (VmRSS) every
second. Prints one line per second and a C{RESULT {...}} line: RSS before
the flood, at its end, the growth per second, the CALLs the socket took, and
whether (and when) the server dropped the connection.

Traffic goes to 127.0.0.1 only; every loop is bounded in time.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def frame(text: str) -> bytes:
    """
    A client's masked (zero key) WebSocket text frame.
    """
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes([0x81, 0x80 | size])
    else:
        header = bytes([0x81, 0x80 | 126]) + size.to_bytes(2, "big")
    return header + b"\0\0\0\0" + payload


def start_server(port: int, workdir: str, tree: str | None, extra: list[str]) -> subprocess.Popen:
    environment = dict(os.environ)
    if tree:
        environment["PYTHONPATH"] = tree
    command = [
        sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
        "-n",
        "--logfile", os.path.join(workdir, "twistd.log"),
        "--pidfile", os.path.join(workdir, "twistd.pid"),
        "openocpp", "centralsystem",
        "--listen", f"tcp:{port}:interface={LOOPBACK}",
        "--db", os.path.join(workdir, "cs.sqlite"),
        "--ping-interval", "0",
        "--no-log-frames",
    ] + extra
    server = subprocess.Popen(command, env=environment, cwd=workdir)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection((LOOPBACK, port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the central system did not start")


def connect(port: int) -> socket.socket:
    client = socket.create_connection((LOOPBACK, port), timeout=10)
    client.sendall(
        (
            "GET /ocpp/FLOOD HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += client.recv(4096)
    if not answer.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {answer[:80]!r}")
    client.sendall(frame('[2,"boot","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]'))
    client.recv(4096)  # the boot's answer: the last thing ever read
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of flood (20)")
    parser.add_argument("--tree", default=None, help="source tree to run the server from (PYTHONPATH)")
    parser.add_argument("--server-option", action="append", default=[], help="extra option of the server")
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-backpressure-")
    port = free_port()
    server = start_server(port, workdir, options.tree, options.server_option)
    try:
        client = connect(port)
        time.sleep(1)
        before = rss_kib(server.pid)
        client.settimeout(0.2)
        sent = 0
        dropped_at = None
        started = time.monotonic()
        next_sample = started + 1
        samples = []
        while True:
            now = time.monotonic()
            if now - started >= options.duration:
                break
            if now >= next_sample:
                rss = rss_kib(server.pid)
                samples.append(rss)
                print(f"{now - started:5.1f} s  RSS {rss / 1024:7.1f} MiB  CALLs sent {sent}", flush=True)
                next_sample += 1
            if dropped_at is not None:
                time.sleep(0.05)
                continue
            message = frame(f'[2,"{sent}","Heartbeat",{{}}]')
            try:
                client.sendall(message)
                sent += 1
            except socket.timeout:
                continue  # the server stopped reading: try again until the end
            except OSError:
                dropped_at = round(time.monotonic() - started, 1)
        after = rss_kib(server.pid)
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "rss_before_mib": round(before / 1024, 1),
        "rss_after_mib": round(after / 1024, 1),
        "growth_mib_per_s": round((after - before) / 1024 / options.duration, 2),
        "calls_sent": sent,
        "dropped_after_s": dropped_at,
        "duration_s": options.duration,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
