"""
The peer a Python user would pick today: a central system written with the
C{ocpp} package (mobilityhouse) on C{websockets}, answering the benchmark's
mix and accepting everything.

    python benchmarks/servers/ocpp_peer.py --port 9000

It is the package's own example central system grown to the benchmark's
actions: one C{ocpp.v16.ChargePoint} per connection, an C{@on} handler per
action, every CALL and CALLRESULT validated against the OCPP 1.6 schemas
by the package (its default), transaction ids from a counter kept in
memory (nothing is persisted).  The C{ocpp} logger stays at WARNING, as
openocpp runs without C{--log-frames}: no line per message.  Needs the
C{bench} extra (C{ocpp}, C{websockets}).  Runs until SIGTERM.
"""

import argparse
import asyncio
import itertools
import logging
import signal
from datetime import datetime, timezone

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import serve

_transaction_ids = itertools.count(1)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class CentralSystemChargePoint(ChargePoint):
    """
    One connected charge point, seen from the central system.
    """

    @on(Action.boot_notification)
    def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        return call_result.BootNotification(
            current_time=_now(), interval=300, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)
    def on_heartbeat(self):
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status_notification(self, connector_id, error_code, status, **kwargs):
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag):
        return call_result.Authorize(id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted))

    @on(Action.start_transaction)
    def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        return call_result.StartTransaction(
            transaction_id=next(_transaction_ids),
            id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted),
        )

    @on(Action.meter_values)
    def on_meter_values(self, connector_id, meter_value, **kwargs):
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(self, meter_stop, timestamp, transaction_id, id_tag=None, **kwargs):
        if id_tag is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted)
        )


async def on_connect(connection) -> None:
    if connection.subprotocol != "ocpp1.6":
        await connection.close(1002, "subprotocol ocpp1.6 required")
        return
    identity = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
    charge_point = CentralSystemChargePoint(identity, connection)
    try:
        await charge_point.start()
    except Exception:
        # websockets' ConnectionClosed ends the charge point's loop
        pass


async def main(port: int, interface: str) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(
        on_connect,
        interface,
        port,
        subprotocols=["ocpp1.6"],
        compression=None,
        ping_interval=None,
        max_size=65536,
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interface", default="127.0.0.1")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(options.port, options.interface))
