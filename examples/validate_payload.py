"""
Decode OCPP payloads, and see how openocpp answers a bad one.

    python examples/validate_payload.py
"""

from openocpp.messages import AuthorizeRequest, ValidationError, codec

for payload in (
    {"idTag": "04E91C5A123456"},
    {"idTag": "a-tag-that-is-far-too-long"},
    {"idtag": "04E91C5A123456"},
    ["not", "an", "object"],
):
    try:
        print("ok:", codec.decode(AuthorizeRequest, payload))
    except ValidationError as error:
        print(f"{error.code}: {error.description}")
