"""
Autobahn's protocol timers (opening and closing handshake timeouts,
automatic pings and their timeouts) on a clock of our choosing.

Autobahn schedules them on C{factory._batched_timer}, a txaio batched timer
bound to txaio's global event loop that rounds every deadline down to a
whole second of wall-clock time: a 1 second close handshake timeout may
fire at once.  Our factories replace it with a L{ReactorTimer} on the clock
they were given, which is exact and lets tests drive pings with a
C{twisted.internet.task.Clock}.
"""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime


class TimerCall:
    """
    A call scheduled by L{ReactorTimer}: cancelling it after it ran (or
    twice) does nothing, as autobahn expects of its timers.
    """

    # One per connection (its ping timer): no instance dictionary.
    __slots__ = ("_delayed_call",)

    def __init__(self, delayed_call: IDelayedCall):
        """
        @param delayed_call: the scheduled call.
        """
        self._delayed_call = delayed_call

    def cancel(self) -> None:
        """
        Cancel the call if it has not run yet.
        """
        if self._delayed_call.active():
            self._delayed_call.cancel()


class ReactorTimer:
    """
    The C{call_later} part of C{txaio.IBatchedTimer}, on an
    C{IReactorTime}.
    """

    def __init__(self, clock: IReactorTime):
        """
        @param clock: where to schedule calls.
        """
        self._clock = clock

    def call_later(
        self, delay: float, func: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> TimerCall:
        """
        Call C{func(*args, **kwargs)} in C{delay} seconds.

        @return: a L{TimerCall} to cancel it with.
        """
        return TimerCall(self._clock.callLater(delay, func, *args, **kwargs))


def install_timer(factory: object, clock: IReactorTime) -> None:
    """
    Make an autobahn WebSocket factory schedule its protocols' timers on
    C{clock}.

    @param factory: an autobahn C{WebSocketServerFactory} or
        C{WebSocketClientFactory}.
    @param clock: the clock.
    """
    factory._batched_timer = ReactorTimer(clock)  # type: ignore[attr-defined]
