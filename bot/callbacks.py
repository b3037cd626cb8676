"""Compact, stateless callback data: `<kind>:<action>[:<id>]`, always far below Telegram's 64 bytes.

A button carries only what it is about (a phrase id, a request id, a couple id); who may press it
is decided when it is pressed, against the presser's own couple and role."""

from __future__ import annotations

import re
from dataclasses import dataclass

# kinds
PHRASE_ANSWER = "pa"  # giver answers a proposal: a(gree) e(dit) d(ecline) — ref: phrase id
OFFER_ANSWER = "po"  # receiver answers an offer: a(ccept) d(ecline) — ref: phrase id
PHRASE_REMOVE = "pr"  # owner removes words: x — ref: phrase id
PHRASES_MENU = "pm"  # /phrases menu: ask, off(er), rm (list), pg (page ref), done
REPLY = "rr"  # partner follows up a reassurance request: h c t w — ref: request id
UNPAIR = "up"  # y(es) n(o) — ref: couple id
INPUT = "in"  # x: cancel the typed reply being waited for

_SHAPE = re.compile(r"^([a-z]{2}):([a-z]{1,4})(?::(\d{1,18}))?$")


@dataclass(frozen=True)
class Callback:
    kind: str
    action: str
    ref: int | None = None


# A type for buttons that services and texts can build without importing telegram:
# rows of (label, callback data).
Buttons = list[list[tuple[str, str]]]


def pack(kind: str, action: str, ref: int | None = None) -> str:
    data = f"{kind}:{action}" if ref is None else f"{kind}:{action}:{ref}"
    assert _SHAPE.match(data), data
    return data


def unpack(data: object) -> Callback | None:
    """The callback, or None for anything that isn't one of ours (forged, garbled, foreign)."""
    if not isinstance(data, str):
        return None
    match = _SHAPE.match(data)
    if match is None:
        return None
    kind, action, ref = match.groups()
    return Callback(kind, action, int(ref) if ref is not None else None)
