"""
Heartbeats (OCPP 1.6 section 4.6): a Heartbeat.req once HeartbeatInterval
passed without any other traffic, while the central system has accepted the
charge point; its answer sets the charge point's time.
"""

from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from openocpp.messages import HeartbeatRequest


class Heartbeat:
    """
    Sends heartbeats when due; owns the C{HeartbeatInterval} key.

    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}.
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param send: C{send(request, triggered=False)} sends a request to the
        central system; returns a Deferred of its answer.
    @param online: returns whether requests may be sent now.
    @param set_time: called with the C{currentTime} of each answer.
    """

    log = Logger()

    def __init__(
        self,
        ocpp_config: Any,
        clock: Any,
        send: Callable[..., Deferred],
        online: Callable[[], bool],
        set_time: Callable[[Any], None],
    ) -> None:
        self._config = ocpp_config
        self._clock = clock
        self._send = send
        self._online = online
        self._set_time = set_time
        self._last_activity = clock.seconds()
        self._timer = None
        ocpp_config.observe("HeartbeatInterval", lambda key, value: self.schedule())

    def activity(self) -> None:
        """
        A frame went in or out: the next heartbeat is due an interval from
        now (section 4.6: "The Charge Point MAY skip sending a
        Heartbeat.req PDU when another PDU has been sent ... within the
        configured heartbeat interval").
        """
        self._last_activity = self._clock.seconds()

    def schedule(self) -> None:
        """
        (Re)arm the timer of the next heartbeat, if online and the interval
        is not 0.
        """
        self.stop()
        interval = self._config.integer("HeartbeatInterval")
        if interval <= 0 or not self._online():
            return
        due = max(self._last_activity + interval - self._clock.seconds(), 0.0)
        self._timer = self._clock.callLater(due, self._due)

    def _due(self) -> None:
        self._timer = None
        if not self._online():
            return
        interval = self._config.integer("HeartbeatInterval")
        if interval > 0 and self._clock.seconds() - self._last_activity >= interval:
            self.send()
            self._last_activity = self._clock.seconds()
        self.schedule()

    def send(self, triggered: bool = False) -> Deferred:
        """
        Send a Heartbeat.req now; its answer sets the time.

        @param triggered: asked by a TriggerMessage (allowed while Pending).
        """

        def answered(response):
            self._set_time(response.current_time)

        def failed(failure):
            self.log.info("Heartbeat failed: {error}", error=failure.getErrorMessage())

        return self._send(HeartbeatRequest(), triggered=triggered).addCallbacks(answered, failed)

    def stop(self) -> None:
        """
        Cancel the next heartbeat (offline, or the service stops).
        """
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()
