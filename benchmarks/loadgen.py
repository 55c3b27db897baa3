"""
The central system benchmark's load generator: charge points speaking raw
OCPP-J frames (asyncio and C{websockets}, none of openocpp's code), so
what is measured is the server and nothing else.

Driven by C{bench_centralsystem.py}, one or more processes of it per run:

    python benchmarks/loadgen.py --url ws://127.0.0.1:9000/ocpp/ --count 500 --result figures.json

Each charge point connects to C{URL<prefix><i>} with the subprotocol
C{ocpp1.6} (connections opened at C{--ramp} per second), sends a
BootNotification and checks it is accepted.  Then the process prints one
C{READY {...}} line and waits for C{GO <start> <end>} on its standard input
(C{time.monotonic()} instants, the same clock in every process): from then
on each charge point loops over the mix, one outstanding CALL at a time,

    Heartbeat, StatusNotification (Preparing), Authorize, StartTransaction,
    StatusNotification (Charging), 4 x MeterValues (4 sampled values each),
    StopTransaction (with the transaction id the server gave), and
    StatusNotification (Available),

back to back (C{--interval 0}: flat out) or one call every C{--interval}
seconds, each charge point at its own random phase (paced).  Every answer
is checked: a CALLRESULT to the call's message id, with the payload the
action's schema allows and the values accepting everything means (status
C{Accepted}, an integer transaction id, a date-time current time...).
Calls answered in [start, end) are counted and their latencies kept: from
the send (flat out) or from when the call was due (paced, so a server
falling behind shows as latency, not as fewer calls).  At C{end} no new
call starts; the last ones are awaited, the connections closed, the
figures written to the C{--result} file as JSON, and one C{RESULT {...}}
line printed.  The event loop is uvloop's when it is
installed, asyncio's otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

#: A date-time as OCPP-J sends one (RFC 3339).
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)

#: The mix one charge point loops over: (action, kind of payload).
MIX = (
    "Heartbeat",
    "StatusNotification:Preparing",
    "Authorize",
    "StartTransaction",
    "StatusNotification:Charging",
    "MeterValues",
    "MeterValues",
    "MeterValues",
    "MeterValues",
    "StopTransaction",
    "StatusNotification:Available",
)

_ID_TAG_INFO_KEYS = {"status", "expiryDate", "parentIdTag"}


class AnswerError(Exception):
    """
    An answer that is not the one the call should get.
    """


def _id_tag_info(info) -> None:
    if not isinstance(info, dict) or not info.keys() <= _ID_TAG_INFO_KEYS:
        raise AnswerError(f"idTagInfo is not an IdTagInfo: {info!r}")
    if info.get("status") != "Accepted":
        raise AnswerError(f"idTagInfo status is not Accepted: {info!r}")
    expiry = info.get("expiryDate")
    if expiry is not None and not (isinstance(expiry, str) and _DATETIME.fullmatch(expiry)):
        raise AnswerError(f"expiryDate is not a date-time: {expiry!r}")
    parent = info.get("parentIdTag")
    if parent is not None and not (isinstance(parent, str) and len(parent) <= 20):
        raise AnswerError(f"parentIdTag is not an IdToken: {parent!r}")


def _current_time(payload) -> None:
    current = payload.get("currentTime")
    if not (isinstance(current, str) and _DATETIME.fullmatch(current)):
        raise AnswerError(f"currentTime is not a date-time: {current!r}")


def check_boot(payload) -> None:
    if payload.keys() != {"status", "currentTime", "interval"}:
        raise AnswerError(f"not a BootNotification.conf: {payload!r}")
    if payload["status"] != "Accepted":
        raise AnswerError(f"boot not accepted: {payload!r}")
    if type(payload["interval"]) is not int:
        raise AnswerError(f"interval is not an integer: {payload!r}")
    _current_time(payload)


def check_heartbeat(payload) -> None:
    if payload.keys() != {"currentTime"}:
        raise AnswerError(f"not a Heartbeat.conf: {payload!r}")
    _current_time(payload)


def check_empty(payload) -> None:
    if payload:
        raise AnswerError(f"not an empty payload: {payload!r}")


def check_authorize(payload) -> None:
    if payload.keys() != {"idTagInfo"}:
        raise AnswerError(f"not an Authorize.conf: {payload!r}")
    _id_tag_info(payload["idTagInfo"])


def check_start(payload) -> None:
    if payload.keys() != {"transactionId", "idTagInfo"}:
        raise AnswerError(f"not a StartTransaction.conf: {payload!r}")
    if type(payload["transactionId"]) is not int:
        raise AnswerError(f"transactionId is not an integer: {payload!r}")
    _id_tag_info(payload["idTagInfo"])


def check_stop(payload) -> None:
    if not payload.keys() <= {"idTagInfo"}:
        raise AnswerError(f"not a StopTransaction.conf: {payload!r}")
    if "idTagInfo" in payload:
        _id_tag_info(payload["idTagInfo"])


CHECKS = {
    "BootNotification": check_boot,
    "Heartbeat": check_heartbeat,
    "StatusNotification": check_empty,
    "Authorize": check_authorize,
    "StartTransaction": check_start,
    "MeterValues": check_empty,
    "StopTransaction": check_stop,
}

_now_second = -1
_now_text = ""


def now_text() -> str:
    """
    The current UTC time as OCPP-J writes it, to the second.
    """
    global _now_second, _now_text
    second = int(time.time())
    if second != _now_second:
        _now_second = second
        _now_text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
    return _now_text


class Stats:
    """
    What one process's charge points saw.
    """

    def __init__(self) -> None:
        self.start = float("inf")
        self.end = float("inf")
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.error_samples: list[str] = []
        self.connected = 0
        self.booted = 0
        self.calls = 0
        self.started_transactions = 0
        self.stopped_transactions = 0
        self.calls_from_server = 0

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {detail}"[:300])


class ChargePoint:
    """
    One simulated charge point: its connection, its next call, its meter.
    """

    def __init__(self, identity: str, stats: Stats, call_timeout: float) -> None:
        self.identity = identity
        self.stats = stats
        self.call_timeout = call_timeout
        self.connection = None
        self.message_id = 0
        self.step = 0
        self.meter = 0
        self.transaction_id = None
        self.id_tag = "TAG" + identity[-17:]

    async def call(self, action: str, payload: str) -> dict:
        """
        Send one CALL (its payload already JSON), return the CALLRESULT's
        payload checked; raise L{AnswerError} for any other answer.
        """
        self.message_id += 1
        message_id = str(self.message_id)
        connection = self.connection
        async with asyncio.timeout(self.call_timeout):
            await connection.send(f'[2,"{message_id}","{action}",{payload}]')
            while True:
                frame = json.loads(await connection.recv())
                if type(frame) is not list or not frame:
                    raise AnswerError(f"not an OCPP-J frame: {frame!r}")
                if frame[0] == 2 and len(frame) == 4:
                    # The server's own CALL: none expected, say so.
                    self.stats.calls_from_server += 1
                    await connection.send(
                        json.dumps([4, frame[1], "NotImplemented", "not in the benchmark", {}])
                    )
                    continue
                break
        if len(frame) == 3 and frame[0] == 3 and frame[1] == message_id:
            payload = frame[2]
            if type(payload) is not dict:
                raise AnswerError(f"{action}: payload is not an object: {frame!r}")
            CHECKS[action](payload)
            return payload
        if len(frame) == 5 and frame[0] == 4:
            raise AnswerError(f"{action}: CALLERROR {frame[2]} {frame[3]!r}")
        raise AnswerError(f"{action}: not the CALLRESULT to {message_id}: {frame!r}")

    def next_call(self) -> tuple[str, str]:
        """
        The next call of the mix: its action and its payload as JSON.
        """
        kind = MIX[self.step]
        self.step = (self.step + 1) % len(MIX)
        if kind == "Heartbeat":
            return "Heartbeat", "{}"
        if kind.startswith("StatusNotification:"):
            status = kind.partition(":")[2]
            return "StatusNotification", (
                f'{{"connectorId":1,"errorCode":"NoError","status":"{status}",'
                f'"timestamp":"{now_text()}"}}'
            )
        if kind == "Authorize":
            return "Authorize", f'{{"idTag":"{self.id_tag}"}}'
        if kind == "StartTransaction":
            return "StartTransaction", (
                f'{{"connectorId":1,"idTag":"{self.id_tag}","meterStart":{self.meter},'
                f'"timestamp":"{now_text()}"}}'
            )
        if kind == "MeterValues":
            self.meter += 250
            return "MeterValues", (
                f'{{"connectorId":1,"transactionId":{self.transaction_id},"meterValue":[{{'
                f'"timestamp":"{now_text()}","sampledValue":['
                f'{{"value":"{self.meter}","context":"Sample.Periodic",'
                '"measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"},'
                '{"value":"7200","measurand":"Power.Active.Import","unit":"W"},'
                '{"value":"16.2","measurand":"Current.Import","phase":"L1","unit":"A"},'
                '{"value":"231.0","measurand":"Voltage","phase":"L1-N","unit":"V"}]}]}'
            )
        return "StopTransaction", (
            f'{{"transactionId":{self.transaction_id},"idTag":"{self.id_tag}",'
            f'"meterStop":{self.meter},"timestamp":"{now_text()}","reason":"Local"}}'
        )

    def answered(self, action: str, payload: dict) -> None:
        if action == "StartTransaction":
            self.transaction_id = payload["transactionId"]
            self.stats.started_transactions += 1
        elif action == "StopTransaction":
            self.stats.stopped_transactions += 1

    async def open(self, url: str) -> bool:
        """
        Connect and boot; return whether the charge point is ready.
        """
        stats = self.stats
        try:
            self.connection = await connect(
                url + self.identity,
                subprotocols=["ocpp1.6"],
                compression=None,
                ping_interval=None,
                open_timeout=60,
                close_timeout=10,
                max_size=65536,
            )
        except Exception as error:
            stats.error("connect", f"{self.identity}: {type(error).__name__}: {error}")
            return False
        if self.connection.subprotocol != "ocpp1.6":
            stats.error("connect", f"{self.identity}: subprotocol {self.connection.subprotocol!r}")
            return False
        stats.connected += 1
        boot = (
            '{"chargePointVendor":"openocpp-bench","chargePointModel":"loadgen",'
            '"chargePointSerialNumber":"%s","firmwareVersion":"1.0"}' % self.identity
        )
        try:
            await self.call("BootNotification", boot)
        except Exception as error:
            stats.error("boot", f"{self.identity}: {type(error).__name__}: {error}")
            return False
        stats.booted += 1
        return True

    async def run(self, interval: float, calls: int = 0) -> None:
        """
        Loop over the mix until the end of the run: back to back, or one
        call every C{interval} seconds from a random phase.

        @param calls: if not 0, stop after this many calls instead (a fixed
            amount of work, for instruction counts).
        """
        stats = self.stats
        clock = time.perf_counter
        end = stats.end
        due = clock() + random.uniform(0.0, interval)
        made = 0
        while True:
            if calls and made >= calls:
                return
            made += 1
            if interval:
                now = clock()
                if due > now:
                    await asyncio.sleep(due - now)
                sent = due
                due += interval
            else:
                sent = clock()
            if sent >= end:
                return
            action, payload = self.next_call()
            try:
                answer = await self.call(action, payload)
            except AnswerError as error:
                stats.error("answer", f"{self.identity}: {error}")
                if action == "StartTransaction":
                    return  # the rest of the mix needs a transaction id
                continue
            except TimeoutError:
                stats.error("timeout", f"{self.identity}: {action} not answered")
                return
            except ConnectionClosed as error:
                stats.error("closed", f"{self.identity}: {action}: {error}")
                return
            except Exception as error:
                stats.error("other", f"{self.identity}: {action}: {type(error).__name__}: {error}")
                return
            self.answered(action, answer)
            stats.calls += 1
            done = clock()
            if stats.start <= done < end:
                stats.latencies.append(done - sent)

    async def close(self) -> None:
        if self.connection is not None:
            try:
                await self.connection.close()
            except Exception:
                pass


async def read_line(loop) -> str:
    return await loop.run_in_executor(None, sys.stdin.readline)


async def main(options) -> dict:
    loop = asyncio.get_running_loop()
    stats = Stats()
    charge_points = [
        ChargePoint(f"{options.prefix}{number:06d}", stats, options.call_timeout)
        for number in range(options.first, options.first + options.count)
    ]

    # -- connect and boot, at the ramp rate
    began = time.perf_counter()
    opening = []
    for index, charge_point in enumerate(charge_points):
        delay = began + index / options.ramp - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        opening.append(loop.create_task(charge_point.open(options.url)))
    ready = await asyncio.gather(*opening)
    connect_s = time.perf_counter() - began
    print(
        "READY "
        + json.dumps(
            {
                "connected": stats.connected,
                "booted": stats.booted,
                "connect_s": round(connect_s, 3),
                "errors": stats.errors,
                "error_samples": stats.error_samples,
            }
        ),
        flush=True,
    )

    # -- the load, when told
    command = (await read_line(loop)).split()
    if not command or command[0] != "GO":
        return {"aborted": True}
    stats.start, stats.end = float(command[1]), float(command[2])
    running = [
        loop.create_task(charge_point.run(options.interval, options.calls))
        for charge_point, booted in zip(charge_points, ready)
        if booted
    ]
    if running:
        await asyncio.wait(running)
    closing = [loop.create_task(charge_point.close()) for charge_point in charge_points]
    if closing:
        await asyncio.wait(closing, timeout=30)
    return {
        "connected": stats.connected,
        "booted": stats.booted,
        "connect_s": round(connect_s, 3),
        "calls_total": stats.calls,
        "calls": len(stats.latencies),
        "latencies_us": sorted(round(latency * 1e6) for latency in stats.latencies),
        "errors": stats.errors,
        "error_samples": stats.error_samples,
        "started_transactions": stats.started_transactions,
        "stopped_transactions": stats.stopped_transactions,
        "calls_from_server": stats.calls_from_server,
    }


def parse_options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--url", required=True, help="ws://127.0.0.1:PORT/path/ (identity appended)")
    parser.add_argument("--prefix", default="BENCH", help="identity prefix (BENCH)")
    parser.add_argument("--first", type=int, default=0, help="number of the first charge point")
    parser.add_argument("--count", type=int, required=True, help="charge points of this process")
    parser.add_argument("--ramp", type=float, default=500.0, help="connections opened per second")
    parser.add_argument(
        "--interval", type=float, default=0.0, help="seconds between a charge point's calls (0: flat out)"
    )
    parser.add_argument("--call-timeout", type=float, default=30.0, help="seconds to wait for an answer")
    parser.add_argument(
        "--calls", type=int, default=0,
        help="calls each charge point makes, then stops (0: until the end of the run)",
    )
    parser.add_argument("--result", required=True, help="file the figures are written to, as JSON")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_options()
    if not options.url.startswith(("ws://127.", "ws://localhost", "ws://[::1]")):
        sys.exit("loadgen: loopback addresses only")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = options.count + 100
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(wanted, soft)), hard))
    random.seed(os.getpid())
    try:
        # libuv's loop, when installed (the bench extra has it): the load
        # takes less CPU, so a fast server is measured further.
        from uvloop import run
    except ImportError:
        run = asyncio.run
    result = run(main(options))
    # The figures (every latency) go to a file: a line that long on a pipe
    # could be cut by a non-blocking write.
    with open(options.result, "w") as out:
        json.dump(result, out)
    print("RESULT " + json.dumps({"calls": result.get("calls")}), flush=True)
