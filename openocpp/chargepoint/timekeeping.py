"""
The charge point's time: the central system's (BootNotification.conf and
Heartbeat.conf tell it), kept as an offset from the clock, unless a plugin
sets the system clock itself (C{openocpp_cp_set_time}).
"""

from datetime import datetime, timezone
from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger

#: The central system times the charge point takes (a broken clock's year
#: 9999 would leave no room for time to pass).
USABLE_TIMES = (
    datetime(1970, 1, 1, tzinfo=timezone.utc),
    datetime(9000, 1, 1, tzinfo=timezone.utc),
)


class TimeKeeper:
    """
    Keeps the charge point's time.

    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param hook: C{hook(name, **kwargs)} asks the plugins; returns a
        Deferred of the answer.
    @param changed: called when the time jumped (by a second or more, or
        a plugin set the system clock): what is timed by the charge point's
        time (Smart Charging's limits) is worked out again.
    """

    log = Logger()

    def __init__(
        self, clock: Any, hook: Callable[..., Deferred], changed: Callable[[], Any] = lambda: None
    ) -> None:
        self._clock = clock
        self._hook = hook
        self._changed = changed
        self._offset = 0.0

    def now(self) -> datetime:
        """
        @return: the charge point's time, an aware UTC C{datetime}.
        """
        return datetime.fromtimestamp(self._clock.seconds() + self._offset, timezone.utc)

    def set(self, current_time: datetime) -> None:
        """
        The central system told its time: a plugin may set the system clock
        (answering C{True}), else L{now} follows it from now on. Times out
        of L{USABLE_TIMES} are ignored.
        """
        if not USABLE_TIMES[0] <= current_time < USABLE_TIMES[1]:
            # now() and the timestamps counted back from it must stay dates.
            self.log.warn(
                "Ignoring the central system's time {current_time}: out of range",
                current_time=current_time.isoformat(),
            )
            return

        def applied(handled):
            if handled:
                self._changed()
                return
            offset = current_time.timestamp() - self._clock.seconds()
            jumped = abs(offset - self._offset) >= 1.0
            self._offset = offset
            if jumped:
                self._changed()

        self._hook("openocpp_cp_set_time", current_time=current_time).addCallbacks(
            applied, lambda failure: self.log.failure("Setting the time failed", failure)
        )
