"""
Tests for Redis's wire protocol (L{openocpp.cluster.resp}) in memory, on a
C{StringTransport}: encoding, incremental parsing, pipelining, pub/sub.
"""

from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from openocpp.cluster.resp import (
    BusConnectionLost,
    ProtocolError,
    RedisError,
    RedisProtocol,
    ReplyParser,
    SubscriberProtocol,
    encode_command,
)


class EncodeTests(SynchronousTestCase):
    """
    L{encode_command}: an array of bulk strings.
    """

    def test_arguments(self):
        """
        bytes, str (UTF-8) and numbers become bulk strings.
        """
        self.assertEqual(
            encode_command("SET", "k\u00e9", b"v", 5, 1.5),
            b"*5\r\n$3\r\nSET\r\n$3\r\nk\xc3\xa9\r\n$1\r\nv\r\n$1\r\n5\r\n$3\r\n1.5\r\n",
        )

    def test_bad_argument(self):
        """
        Any other type is a TypeError naming it.
        """
        error = self.assertRaises(TypeError, encode_command, "SET", None)
        self.assertIn("NoneType", str(error))


class ParserTests(SynchronousTestCase):
    """
    L{ReplyParser}: every RESP2 reply type, however the bytes are split.
    """

    def test_types(self):
        """
        Simple strings, errors, integers, bulk (and nil) strings, arrays
        (nested, nil) parse to Python values; an error is a value.
        """
        replies = ReplyParser().feed(
            b"+OK\r\n-ERR bad\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n*1\r\n$0\r\n\r\n*-1\r\n"
        )
        self.assertEqual(replies[0], "OK")
        self.assertIsInstance(replies[1], RedisError)
        self.assertEqual((replies[1].message, replies[1].kind), ("ERR bad", "ERR"))
        self.assertEqual(replies[2:], [42, b"abc", None, [1, [b""]], None])

    def test_split_anywhere(self):
        """
        A reply cut at any byte is returned once its last byte came.
        """
        data = b"*2\r\n$5\r\nhe\r\no\r\n:7\r\n+PONG\r\n"
        for cut in range(1, len(data)):
            parser = ReplyParser()
            replies = parser.feed(data[:cut]) + parser.feed(data[cut:])
            self.assertEqual(replies, [[b"he\r\no", 7], "PONG"], cut)

    def test_garbage(self):
        """
        A byte that starts no reply type is a L{ProtocolError}.
        """
        self.assertRaises(ProtocolError, ReplyParser().feed, b"?what\r\n")
        self.assertRaises(ProtocolError, ReplyParser().feed, b":notanumber\r\n")


class ProtocolTests(SynchronousTestCase):
    """
    L{RedisProtocol}: commands written at once, replies matched in order.
    """

    def setUp(self):
        self.transport = StringTransport()
        self.protocol = RedisProtocol()
        self.protocol.makeConnection(self.transport)

    def test_pipelined(self):
        """
        Three commands go out before any reply; each Deferred fires with its
        own reply, an error reply failing its own.
        """
        first = self.protocol.execute("GET", "a")
        second = self.protocol.execute("INCR", "b")
        third = self.protocol.execute("HGET", "c")
        self.assertEqual(
            self.transport.value(),
            encode_command("GET", "a") + encode_command("INCR", "b") + encode_command("HGET", "c"),
        )
        self.protocol.dataReceived(b"$1\r\nx\r\n:3\r\n-WRONGTYPE no\r\n")
        self.assertEqual(self.successResultOf(first), b"x")
        self.assertEqual(self.successResultOf(second), 3)
        self.assertEqual(self.failureResultOf(third, RedisError).value.kind, "WRONGTYPE")

    def test_lost(self):
        """
        Commands waiting when the connection is lost fail with
        L{BusConnectionLost}, and later ones fail at once.
        """
        waiting = self.protocol.execute("GET", "a")
        self.protocol.connectionLost(Failure(Exception("gone")))
        self.failureResultOf(waiting, BusConnectionLost)
        self.failureResultOf(self.protocol.execute("GET", "a"), BusConnectionLost)

    def test_garbage_closes(self):
        """
        Bytes that are not RESP2 close the connection.
        """
        self.protocol.dataReceived(b"?\r\n")
        self.assertTrue(self.transport.disconnecting)

    def test_bad_argument_fails(self):
        """
        A command that cannot be encoded fails its Deferred, nothing sent.
        """
        self.failureResultOf(self.protocol.execute("SET", object()), TypeError)
        self.assertEqual(self.transport.value(), b"")


class SubscriberTests(SynchronousTestCase):
    """
    L{SubscriberProtocol}: subscriptions confirmed, messages delivered.
    """

    def setUp(self):
        self.messages = []
        self.transport = StringTransport()
        self.protocol = SubscriberProtocol(lambda channel, data: self.messages.append((channel, data)))
        self.protocol.makeConnection(self.transport)

    def test_subscribe_and_messages(self):
        """
        SUBSCRIBE and PSUBSCRIBE are confirmed per name; messages and
        pattern messages go to C{on_message} as (channel, data).
        """
        subscribed = self.protocol.subscribe("a", "b")
        patterned = self.protocol.psubscribe("r:*")
        self.assertEqual(self.transport.value(), encode_command("SUBSCRIBE", "a", "b") + encode_command("PSUBSCRIBE", "r:*"))
        self.protocol.dataReceived(
            b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
            b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
            b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
            b"*3\r\n$10\r\npsubscribe\r\n$3\r\nr:*\r\n:3\r\n"
            b"*4\r\n$8\r\npmessage\r\n$3\r\nr:*\r\n$3\r\nr:1\r\n$2\r\nyo\r\n"
        )
        self.successResultOf(subscribed)
        self.successResultOf(patterned)
        self.assertEqual(self.messages, [(b"a", b"hi"), (b"r:1", b"yo")])

    def test_handler_failure(self):
        """
        A handler that raises is logged; the next message is delivered.
        """
        def fail(channel, data):
            self.messages.append(data)
            raise ValueError("broken handler")

        self.protocol.on_message = fail
        self.protocol.dataReceived(
            b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\n2\r\n"
        )
        self.assertEqual(self.messages, [b"1", b"2"])
        self.assertEqual(len(self.flushLoggedErrors(ValueError)), 2)

    def test_nothing_to_subscribe(self):
        """
        Subscribing to no channel is a ValueError.
        """
        self.assertRaises(ValueError, self.protocol.subscribe)
