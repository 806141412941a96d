"""The wire format: which request lines decode, and the reason given for those that do not.

Issue 13 §6: every request the socket reads must end in a reply, so whatever a request line
holds, :func:`decode_request` either returns a request whose id can be echoed as standard
JSON or raises :class:`ProtocolError` with the reason.
"""

from __future__ import annotations

import json

import pytest

from pagent.service.protocol import ProtocolError, decode_request, encode, error_reply


def strict_loads(line: bytes) -> object:
    """JSON as RFC 8259 has it: NaN and Infinity are no JSON values."""

    def refuse(name: str) -> object:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(line, parse_constant=refuse)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"id": 1, "op": ["ping"]}', "op must be a string"),
        (b'{"id": 1, "op": {"a": 1}}', "op must be a string"),
        (b'{"id": 1, "op": 7}', "op must be a string"),
        (b'{"id": 1}', "op must be a string"),
        (b'{"id": ' + b"9" * 5000 + b', "op": "ping"}', "number with too many digits"),
        (b'{"id": ' + b"[" * 980 + b"]" * 980 + b', "op": "ping"}', "id must be|nested too deeply"),
        (b'{"id": {"a": 1}, "op": "ping"}', "id must be"),
        (b'{"id": true, "op": "ping"}', "id must be"),
        (b'{"id": NaN, "op": "ping"}', "NaN is not a JSON value"),
        (b'{"id": Infinity, "op": "ping"}', "Infinity is not a JSON value"),
        (b'{"id": -Infinity, "op": "ping"}', "-Infinity is not a JSON value"),
        (b'{"id": 1e400, "op": "ping"}', "id must be"),
        (b'{"id": 1, "op": "command", "text": "D \\ud800"}', "lone surrogate"),
        (b'{"id": 1, "op": "pasearch", "rule": "\\udfff"}', "lone surrogate"),
        (b'{"id": 1, "op": "pasearch", "image": 5}', "'image' must be a string"),
    ],
    ids=[
        "op-list",
        "op-object",
        "op-number",
        "op-missing",
        "id-5000-digits",
        "id-nested-980",
        "id-object",
        "id-boolean",
        "id-nan",
        "id-infinity",
        "id-minus-infinity",
        "id-overflows-to-infinity",
        "text-lone-surrogate",
        "rule-lone-surrogate",
        "image-not-a-string",
    ],
)
def test_unusable_request_is_a_protocol_error_with_its_reason(raw, reason):
    """Each of these raises ProtocolError (not TypeError, ValueError or RecursionError)."""
    with pytest.raises(ProtocolError, match=reason):
        decode_request(raw + b"\n")


@pytest.mark.parametrize(
    "req_id", [None, 0, -7, 2**200, 1.5, "abc", "\u00e9\U0001f600", 10**4000], ids=repr
)
def test_scalar_ids_are_echoed_as_standard_json(req_id):
    """Strings, finite numbers and null are accepted and come back unchanged."""
    raw = json.dumps({"id": req_id, "op": "ping"}).encode()
    req = decode_request(raw)
    assert req.id == req_id
    assert strict_loads(encode(error_reply(req.id, "x"))) == {
        "id": req_id,
        "type": "error",
        "error": "x",
    }


def test_long_op_is_shortened_in_the_reason():
    """An unknown op of 60,000 characters is not echoed whole."""
    with pytest.raises(ProtocolError) as caught:
        decode_request(json.dumps({"op": "x" * 60000}).encode())
    assert len(str(caught.value)) < 200
