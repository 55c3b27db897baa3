"""
Tests for L{openocpp.transport.framing} and the protocol's use of it: the
fast path reads and writes the frames autobahn would, and leaves everything
else to autobahn.
"""

from __future__ import annotations

from autobahn.websocket.xormasker import create_xor_masker
from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.transport import framing
from tests.transport.loopback import ConnectionTestsMixin, Handlers

KEY = b"\x37\xfa\x21\x3d"


def masked(opcode: int, payload: bytes, fin: bool = True, key: bytes = KEY) -> bytes:
    """
    A client's frame, built independently of L{framing}.
    """
    length = len(payload)
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        header = bytes((first, 0x80 | length))
    else:
        header = bytes((first, 0x80 | 126)) + length.to_bytes(2, "big")
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class FramingTests(SynchronousTestCase):
    """
    The frame functions, checked against RFC 6455 and autobahn's masker.
    """

    def test_apply_mask_as_autobahn(self) -> None:
        """
        L{framing.apply_mask} gives what autobahn's masker gives, for every
        length around the key's and the short/extended length boundaries.
        """
        for length in list(range(0, 20)) + [125, 126, 127, 1000, 65535]:
            payload = bytes((i * 7) % 256 for i in range(length))
            expected = create_xor_masker(KEY, length).process(payload) if length else b""
            self.assertEqual(framing.apply_mask(payload, KEY), expected)
            self.assertEqual(framing.apply_mask(expected, KEY), payload)

    def test_text_frame_unmasked(self) -> None:
        """
        An unmasked frame: FIN and opcode 1, the length in 7, 7+16 or 7+64
        bits, the payload as it is.
        """
        self.assertEqual(framing.text_frame(b"abc"), b"\x81\x03abc")
        self.assertEqual(framing.text_frame(b"x" * 126)[:4], b"\x81\x7e\x00\x7e")
        self.assertEqual(framing.text_frame(b"x" * 65536)[:10], b"\x81\x7f" + (65536).to_bytes(8, "big"))

    def test_text_frame_masked_read_back(self) -> None:
        """
        A masked frame is what L{masked} builds, and reads back.
        """
        for payload in (b"", b"[2,\"1\",\"Heartbeat\",{}]", "ü€".encode() * 100):
            frame = framing.text_frame(payload, KEY)
            self.assertEqual(frame, masked(1, payload))
            self.assertEqual(
                framing.read_text_frame(frame, 0, 0), (payload.decode(), len(payload), len(frame))
            )

    def test_read_from_offset(self) -> None:
        """
        Frames are read one after the other from where the last ended.
        """
        data = masked(1, b"one") + masked(1, b"two")
        text, _, end = framing.read_text_frame(data, 0, 0)
        self.assertEqual(text, "one")
        self.assertEqual(framing.read_text_frame(data, end, 0)[0], "two")

    def test_left_to_autobahn(self) -> None:
        """
        Anything but a whole masked FIN text frame within the size limit,
        in the minimal encoding and UTF-8, is not read.
        """
        text = b"[2,\"1\",\"Heartbeat\",{}]"
        whole = masked(1, text)
        refused = {
            "fragment": masked(1, text, fin=False),
            "continuation": masked(0, text),
            "binary": masked(2, text),
            "ping": masked(9, b""),
            "close": masked(8, b"\x03\xe8"),
            "unmasked": framing.text_frame(text),
            "rsv bit": bytes((whole[0] | 0x40,)) + whole[1:],
            "not whole": whole[:-1],
            "header only": whole[:3],
            "not minimal": b"\x81\xfe\x00\x03" + KEY + framing.apply_mask(b"abc", KEY),
            "64-bit length": b"\x81\xff" + (3).to_bytes(8, "big") + KEY + b"abc",
            "bad utf-8": masked(1, b"\xed\xa0\x80"),
        }
        for name, frame in refused.items():
            self.assertIsNone(framing.read_text_frame(frame, 0, 0), name)
        self.assertIsNone(framing.read_text_frame(whole, 0, len(text) - 1), "over the limit")
        self.assertEqual(framing.read_text_frame(whole, 0, len(text))[0], text.decode())


class FastPathTests(ConnectionTestsMixin, TestCase):
    """
    The server reads whole text frames itself and hands autobahn the rest,
    in the order they came.
    """

    async def connected(self, **options):
        servers, clients = Handlers(), Handlers()
        _, port = await self.start_server(servers, **options)
        _, connecting = self.client(port, "CP001", clients)
        connection = await connecting
        server = await servers.next()
        await server.made
        return connection, server, await clients.next()

    async def test_mixed_read(self) -> None:
        """
        Whole frames, a ping, a fragmented message and whole frames again,
        all in one write: every message arrives in order and the ping is
        answered.
        """
        connection, server, _ = await self.connected()
        protocol = connection._protocol
        pong = Deferred()
        protocol.onPong = pong.callback
        protocol.transport.write(
            masked(1, b"one")
            + masked(1, "tw\u00f6".encode())
            + masked(9, b"ping!")
            + masked(1, b"thr", fin=False)
            + masked(0, b"ee")
            + masked(1, b"four")
        )
        texts = [await server.texts.get() for _ in range(4)]
        self.assertEqual(texts, ["one", "tw\u00f6", "three", "four"])
        self.assertEqual(await pong, b"ping!")

    async def test_sent_frames(self) -> None:
        """
        Text sent either way arrives whole, and is counted as autobahn
        counts it.
        """
        connection, server, client = await self.connected()
        server_connection = await server.made
        connection.send_text("x" * 200)
        self.assertEqual(await server.texts.get(), "x" * 200)
        server_connection.send_text("\u20ac" * 50)
        self.assertEqual(await client.texts.get(), "\u20ac" * 50)
        stats = server_connection._protocol.trafficStats
        self.assertEqual(stats.outgoingWebSocketMessages, 1)
        self.assertEqual(stats.outgoingOctetsAppLevel, 150)
        self.assertEqual(stats.incomingOctetsAppLevel, 200)

    async def test_oversized_left_to_autobahn(self) -> None:
        """
        A whole frame over the message size limit is autobahn's: it closes
        with 1009.
        """
        connection, server, client = await self.connected(max_message_size=100)
        connection._protocol.transport.write(masked(1, b"y" * 101))
        self.assertEqual((await server.lost).code, 1009)
        self.assertEqual((await client.lost).code, 1009)
        self.assertEqual(server.events, ["made", "lost"])
