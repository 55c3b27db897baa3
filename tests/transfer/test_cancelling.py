"""
Tests for L{openocpp.transfer.cancelling}.
"""

from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.error import DNSLookupError
from twisted.trial.unittest import TestCase

from openocpp.transfer.cancelling import CancelNoting


class CancelNotingTests(TestCase):
    """
    L{CancelNoting.wait} relays an operation's outcome and notes a cancel.
    """

    def test_relays_the_result_and_notes_no_cancel(self):
        noting = CancelNoting()
        operation = Deferred()
        waiting = noting.wait(operation)
        operation.callback(3)
        self.assertEqual(self.successResultOf(waiting), 3)
        self.assertFalse(noting.cancelled)

    def test_relays_a_failure(self):
        noting = CancelNoting()
        operation = Deferred()
        waiting = noting.wait(operation)
        operation.errback(DNSLookupError("nope"))
        self.failureResultOf(waiting, DNSLookupError)
        self.assertFalse(noting.cancelled)

    def test_cancel_is_noted_whatever_the_operation_fails_with(self):
        noting = CancelNoting()
        operation = Deferred(lambda d: d.errback(DNSLookupError("cancelled in resolution")))
        waiting = noting.wait(operation)
        waiting.cancel()
        self.assertTrue(noting.cancelled)
        self.failureResultOf(waiting, DNSLookupError)

    def test_cancel_of_an_operation_that_does_not_stop_at_once(self):
        noting = CancelNoting()
        operation = Deferred(lambda d: None)
        waiting = noting.wait(operation)
        waiting.cancel()
        self.assertTrue(noting.cancelled)
        self.failureResultOf(waiting, CancelledError)
        # Its late outcome is dropped, not an unhandled error.
        self.assertIsNone(self.successResultOf(operation))

    def test_a_cancel_of_the_operation_itself_is_not_noted(self):
        noting = CancelNoting()
        operation = Deferred()
        waiting = noting.wait(operation)
        operation.cancel()
        self.assertFalse(noting.cancelled)
        self.failureResultOf(waiting, CancelledError)
