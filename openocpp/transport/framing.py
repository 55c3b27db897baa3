"""
The WebSocket frames of nearly every OCPP-J message, read and written with
less work per frame than autobahn's generic frame machine (RFC 6455 section
5.2): a whole, unfragmented, uncompressed text frame.  Everything else
(control frames, fragments, binary, compressed, oversize, broken UTF-8, a
frame not yet whole) is left to autobahn, which reads it from the first byte
this module did not take.

Pure functions on bytes: the protocol (L{openocpp.transport.connection})
decides when they may be used.
"""

from __future__ import annotations

#: The first byte of a whole text frame: FIN, no RSV bits, opcode 1.
_FIN_TEXT = 0x81
#: The MASK bit of the second byte.
_MASKED = 0x80


def apply_mask(payload: bytes, key: bytes) -> bytes:
    """
    XOR C{payload} with the 4-byte masking key repeated (RFC 6455 section
    5.3): masks and unmasks alike.

    One big-integer XOR: for an OCPP message's few hundred bytes it is
    cheaper than setting up a C masker per frame, as autobahn does.
    """
    length = len(payload)
    whole, part = divmod(length, 4)
    stream = key * whole + key[:part]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(length, "big")


def text_frame(payload: bytes, key: bytes | None = None) -> bytes:
    """
    A whole text frame carrying C{payload}.

    @param key: the 4-byte masking key (a client's frames are masked), or
        C{None} for an unmasked frame (a server's).
    """
    length = len(payload)
    mask_bit = 0 if key is None else _MASKED
    if length < 126:
        header = bytes((_FIN_TEXT, mask_bit | length))
    elif length < 65536:
        header = bytes((_FIN_TEXT, mask_bit | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((_FIN_TEXT, mask_bit | 127)) + length.to_bytes(8, "big")
    if key is None:
        return header + payload
    return header + key + apply_mask(payload, key)


def read_text_frame(data: bytes, start: int, max_size: int) -> tuple[str, int, int] | None:
    """
    Read one whole masked text frame of C{data} from C{start}.

    @param max_size: the largest payload taken, in bytes (0: no limit); a
        larger one is autobahn's to refuse.
    @return: (the text, the payload's length in bytes, where the next frame
        starts), or C{None} when the bytes from C{start} are anything else:
        not a FIN text frame with no RSV bits, not masked, not whole, over
        C{max_size}, a length not minimally encoded or over 64 KiB, or a
        payload that is not UTF-8.
    """
    available = len(data) - start
    if available < 6 or data[start] != _FIN_TEXT:
        return None
    second = data[start + 1]
    if not second & _MASKED:
        return None
    length = second & 0x7F
    if length < 126:
        key_at = start + 2
    elif length == 126:
        if available < 8:
            return None
        length = (data[start + 2] << 8) | data[start + 3]
        if length < 126:
            return None  # not the minimal encoding: autobahn fails it
        key_at = start + 4
    else:
        return None  # over 64 KiB: never an OCPP message worth a fast path
    if 0 < max_size < length:
        return None
    end = key_at + 4 + length
    if end > len(data):
        return None
    payload = apply_mask(data[key_at + 4:end], data[key_at:key_at + 4])
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None  # autobahn closes with 1007, saying where
    return text, length, end
