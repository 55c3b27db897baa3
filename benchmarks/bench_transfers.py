"""
Throughput of openocpp.transfer's downloads over loopback (HTTP from a
twisted.web static file, FTP from Twisted's FTP server, both in this
process), and the longest the reactor went without running a 10 ms timer
meanwhile (the servers' work included).

    python benchmarks/bench_transfers.py            # 100 MiB
    python benchmarks/bench_transfers.py --mib 10
    python benchmarks/bench_transfers.py --mib 500 --separate-servers

With --separate-servers the two servers run in a child process, so that the
stall measured is the downloading side's alone (the servers' synchronous
file reads stall the reactor they run on).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import Portal
from twisted.internet import reactor, task
from twisted.internet.defer import ensureDeferred
from twisted.protocols.ftp import FTPFactory, FTPRealm
from twisted.web.server import Site
from twisted.web.static import File

from openocpp.transfer import Transfers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--mib", type=int, default=100, help="the file's size in MiB (100)")
    parser.add_argument("--separate-servers", action="store_true",
                        help="run the servers in a child process")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the child: serve this folder
    arguments = parser.parse_args()
    if arguments.serve:
        ports = serve(arguments.serve)
        print(*ports, flush=True)
        reactor.run()
        return
    folder = tempfile.mkdtemp(prefix="openocpp-bench-transfers-")
    served = os.path.join(folder, "bench")
    os.makedirs(served)
    source = os.path.join(served, "big.bin")
    with open(source, "wb") as file:
        for _ in range(arguments.mib):
            file.write(os.urandom(1024 * 1024))
    child = None
    if arguments.separate_servers:
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", folder], stdout=subprocess.PIPE, text=True
        )
        http, ftp = (int(port) for port in child.stdout.readline().split())
    else:
        http, ftp = serve(folder)
    stall = [0.0]
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        stall[0] = max(stall[0], now - last[0] - 0.01)
        last[0] = now

    ticker = task.LoopingCall(tick)
    ticker.start(0.01)

    async def run() -> None:
        transfers = Transfers(reactor, timeout=30, connect_timeout=5)
        for name, url in [
            ("http", "http://127.0.0.1:{}/big.bin".format(http)),
            ("ftp", "ftp://bench:bench@127.0.0.1:{}/big.bin".format(ftp)),
        ]:
            stall[0], last[0] = 0.0, time.monotonic()
            start = time.monotonic()
            size = await transfers.download(url, os.path.join(folder, "out-" + name))
            took = time.monotonic() - start
            print(
                "{:4} download: {} bytes in {:.2f} s = {:.0f} MB/s; longest reactor stall {:.1f} ms".format(
                    name, size, took, size / took / 1e6, stall[0] * 1000
                )
            )

    def done(result):
        ticker.stop()
        if child is not None:
            child.terminate()
            child.wait()
        shutil.rmtree(folder, ignore_errors=True)
        reactor.stop()
        return result

    reactor.callWhenRunning(lambda: ensureDeferred(run()).addBoth(done))
    reactor.run()


def serve(folder: str) -> tuple[int, int]:
    """
    Serve C{folder}/bench over HTTP and FTP (user bench, password bench).

    @return: the HTTP and the FTP port.
    """
    served = os.path.join(folder, "bench")
    http_port = reactor.listenTCP(0, Site(File(served)), interface="127.0.0.1")
    checker = InMemoryUsernamePasswordDatabaseDontUse()
    checker.addUser("bench", "bench")
    ftp_port = reactor.listenTCP(
        0, FTPFactory(Portal(FTPRealm(served, userHome=folder), [checker])), interface="127.0.0.1"
    )
    return http_port.getHost().port, ftp_port.getHost().port


if __name__ == "__main__":
    main()
