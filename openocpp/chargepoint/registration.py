"""
Registration (OCPP 1.6 section 4.2): a BootNotification.req on every new
connection until the central system accepts the charge point; Pending and
Rejected are retried at the interval it gives, failures at
C{boot_retry_interval}.
"""

from typing import Any, Callable

from twisted.internet.defer import CancelledError, Deferred
from twisted.logger import Logger

from openocpp.chargepoint.keys import INTEGER_MAXIMUM
from openocpp.messages import BootNotificationRequest
from openocpp.messages.enums import RegistrationStatus
from openocpp.rpc.errors import ConnectionLost


class Registration:
    """
    Registers the charge point with the central system.

    @param config: the L{openocpp.chargepoint.interfaces.IChargePointConfig}
        (the boot information, C{boot_retry_interval}).
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}
        (the accepted interval becomes C{HeartbeatInterval}).
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param call: C{call(request)} sends a request on the open connection;
        returns a Deferred of its answer.
    @param connected: returns whether a connection is open.
    @param running: returns whether the charge point's service runs.
    @param set_time: called with the answer's C{currentTime}.
    @param status_set: called once L{status} changed (the RPC session
        answers calls or not).
    @param notify: C{notify(hook, **kwargs)} tells plugins
        (C{openocpp_cp_registration_changed}).
    @param accepted: called after each Accepted answer (statuses, the
        heartbeat, the queue go).
    @param firmware_version: returns the firmwareVersion to report
        (default: the config's); a firmware update may have changed it.
    @ivar status: the L{RegistrationStatus} of the last answer, or C{None}.
    """

    log = Logger()

    def __init__(
        self,
        config: Any,
        ocpp_config: Any,
        clock: Any,
        call: Callable[[Any], Deferred],
        connected: Callable[[], bool],
        running: Callable[[], bool],
        set_time: Callable[[Any], None],
        status_set: Callable[[], None],
        notify: Callable[..., None],
        accepted: Callable[[], None],
        firmware_version: Callable[[], str | None] | None = None,
    ) -> None:
        self._config = config
        self._ocpp_config = ocpp_config
        self._clock = clock
        self._call = call
        self._connected = connected
        self._running = running
        self._set_time = set_time
        self._status_set = status_set
        self._notify = notify
        self._accepted = accepted
        self._firmware_version = firmware_version or (lambda: config.firmware_version)
        self.status: RegistrationStatus | None = None
        self._timer = None
        self._booting = False

    def waiting(self) -> bool:
        """
        Whether a BootNotification.req is due on a timer (Pending,
        Rejected, or after a failure).
        """
        return self._timer is not None and self._timer.active()

    def forget(self) -> None:
        """
        The service starts: the next connection boots again.
        """
        self.status = None

    def boot(self) -> None:
        """
        Send a BootNotification.req now (if connected and none is in flight).
        """
        if not self._connected() or self._booting or not self._running():
            return
        self.stop()
        config = self._config
        request = BootNotificationRequest(
            charge_point_vendor=config.vendor,
            charge_point_model=config.model,
            charge_point_serial_number=config.charge_point_serial_number,
            charge_box_serial_number=config.charge_box_serial_number,
            firmware_version=self._firmware_version(),
            iccid=config.iccid,
            imsi=config.imsi,
            meter_type=config.meter_type,
            meter_serial_number=config.meter_serial_number,
        )
        self._booting = True
        self.log.info("Sending BootNotification")

        def done(result):
            self._booting = False
            return result

        self._call(request).addBoth(done).addCallbacks(self._answered, self._failed)

    def _answered(self, response: Any) -> None:
        if not self._running():
            return  # stopped meanwhile: the next start boots again
        previous = self.status
        status = RegistrationStatus(response.status)
        self.status = status
        self._status_set()
        self._set_time(response.current_time)
        self.log.info(
            "BootNotification {status} (interval {interval} s)",
            status=status.value,
            interval=response.interval,
        )
        if status != previous:
            self._notify("openocpp_cp_registration_changed", status=status)
        # An interval beyond any timer's is taken as the longest one.
        interval = min(response.interval, INTEGER_MAXIMUM)
        if status is RegistrationStatus.ACCEPTED:
            if interval > 0:
                self._ocpp_config.set("HeartbeatInterval", str(interval))
            self._accepted()
        else:
            delay = interval if interval > 0 else self._config.boot_retry_interval
            self._timer = self._clock.callLater(delay, self.boot)

    def _failed(self, failure: Any) -> None:
        if failure.check(ConnectionLost) and self._running():
            # A newer connection may be open already (the old one was slow
            # to close): it boots now, else the next connection will.
            self.boot()
            return
        if failure.check(ConnectionLost, CancelledError) or not self._running():
            return
        self.log.warn(
            "BootNotification failed ({error}): again in {delay} s",
            error=failure.getErrorMessage(),
            delay=self._config.boot_retry_interval,
        )
        self._timer = self._clock.callLater(self._config.boot_retry_interval, self.boot)

    def stop(self) -> None:
        """
        Cancel the BootNotification due on a timer.
        """
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()
