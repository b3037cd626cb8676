"""Compact, stateless callback data: `<kind>:<action>[:<id>[:<id>[:<id>]]]`, or `tz:<zone name>`,
always within Telegram's 64 bytes.

A button carries only what it is about (a phrase, a request, an occurrence, a couple); who may
press it is decided when it is pressed, against the presser's own couple and role."""

from __future__ import annotations

import re
from dataclasses import dataclass

# kinds
PHRASE_ANSWER = "pa"  # giver answers a proposal: a(gree) e(dit) d(ecline) — phrase id
OFFER_ANSWER = "po"  # receiver answers an offer: a(ccept) d(ecline) — phrase id
PHRASE_REMOVE = "pr"  # owner removes words: x — phrase id
PHRASES_MENU = "pm"  # /phrases menu: ask, off(er), rm — couple; pg — couple, page; done
REPLY = "rr"  # partner follows up a reassurance request: h c t w — request id
UNPAIR = "up"  # y(es) n(o) — couple id
INPUT = "in"  # x:<awaited kind>:<ref> — cancel that typed reply, if it is still armed
ZONE = "tz"  # tz:<IANA zone name>
RITUAL_NOTICE = "rn"  # partner keeps (k) or declines (x) a new ritual — ritual id
RITUAL_MENU = "rm"  # /rituals: p(ause) r(esume) d(elete) — ritual id; a(dd) — no id
RITUAL_ADD = (
    "ra"  # the add flow: k (kinds), t:<kind> (times), d:<kind>:<min> (days), a:<kind>:<min>:<days>
)
STARTER = (
    "st"  # after pairing: a:<couple>:<kind>, o:<couple>:<kind>, t:<couple>:<kind>:<min>, b:<couple>
)
NUDGE = "nd"  # at nudge time: s:<occurrence>:<note>, d:<occurrence>:<default>, w:<occurrence>
CHECKIN = "ci"  # m:<occurrence>:<mood>, n:<check-in> (add a few words)
DATE = "dt"  # p:<occurrence> (planned)
QUICK_NOTE = "qn"  # x:<note> — remove one of your one-tap notes
AGREEMENT = "ag"  # a(gree) d(ecline) a proposed safe word or balance — agreement id
PAUSE = "pz"  # s:<length> start a pause; e:<pause>:<length> extend it once
BREATHE = "br"  # g(o); x:<session> stop; y / n — "a little steadier?"
GROUND = "gr"  # n:<step> the next step of 5-4-3-2-1; s — start it in a new message
BALANCE = "bl"  # b:<delivery> breathe first, s:<delivery> just the words; d — suggest default
JOURNAL = "jr"  # pg:<couple>:<page> another page; ph:<couple>:<page> its photos
TRIGGER = "tg"  # f:<trigger>:<feeling>, n:<trigger>:<need>, s(hare) t(alk) p(rivate):<trigger>
AWAY = "aw"  # y:<delivery> — "I'd like that" on a reconnect prompt
REVIEW = "rv"  # k(eep) c(hange) — the delivery of the review
DELETE = "dl"  # y(es) n(o) — the person asking to be erased
QUESTION = "qu"  # a:<delivery> — answer the question for two
WARMTH = "wm"  # on the partner's words: h (💛 back), r (✍️ Reply) — delivery; s(end) k(eep) — draft
COMFORT = "cf"  # low check-in: g(hug) c(all) w(rite) — delivery; o — the "I'm okay now" offer
DATES = "dm"  # x:<date> — remove a date that matters
MENU = "mn"  # ☰ More and /help: one action each, no ids (see bot/handlers/menu.py)

# How many ids each action carries; anything else is not one of ours.
SHAPES: dict[str, dict[str, int]] = {
    PHRASE_ANSWER: {"a": 1, "e": 1, "d": 1},
    OFFER_ANSWER: {"a": 1, "d": 1},
    PHRASE_REMOVE: {"x": 1},
    PHRASES_MENU: {"ask": 1, "off": 1, "rm": 1, "done": 0, "pg": 2},
    REPLY: {"h": 1, "c": 1, "t": 1, "w": 1},
    UNPAIR: {"y": 1, "n": 1},
    INPUT: {"x": 2},
    RITUAL_NOTICE: {"k": 1, "x": 1},
    RITUAL_MENU: {"p": 1, "r": 1, "d": 1, "a": 0},
    RITUAL_ADD: {"k": 0, "t": 1, "d": 2, "a": 3, "x": 0},
    STARTER: {"a": 2, "o": 2, "t": 3, "b": 1},
    NUDGE: {"s": 2, "d": 2, "w": 1},
    CHECKIN: {"m": 2, "n": 1},
    DATE: {"p": 1},
    QUICK_NOTE: {"x": 1},
    AGREEMENT: {"a": 1, "d": 1},
    PAUSE: {"s": 1, "e": 2},
    BREATHE: {"g": 0, "x": 1, "y": 0, "n": 0},
    GROUND: {"n": 1, "s": 0},
    BALANCE: {"b": 1, "s": 1, "d": 0},
    JOURNAL: {"pg": 2, "ph": 2},
    TRIGGER: {"f": 2, "n": 2, "s": 1, "t": 1, "p": 1},
    AWAY: {"y": 1},
    REVIEW: {"k": 1, "c": 1},
    DELETE: {"y": 1, "n": 1},
    QUESTION: {"a": 1},
    WARMTH: {"h": 1, "r": 1, "s": 1, "k": 1},
    COMFORT: {"g": 1, "c": 1, "w": 1, "o": 1},
    DATES: {"x": 1},
    MENU: dict.fromkeys(("b", "g", "u", "j", "t", "a", "d", "r", "w", "p", "h"), 0),
}

_SHAPE = re.compile(r"^([a-z]{2}):([a-z]{1,4})((?::\d{1,10}){0,3})$")
# Ids are 32-bit in the database (PostgreSQL `integer`); a larger one is not ours.
MAX_ID = 2**31 - 1
_ZONE = re.compile(r"^tz:([A-Za-z0-9_+\-/]{1,60})$")


@dataclass(frozen=True)
class Callback:
    kind: str
    action: str
    refs: tuple[int, ...] = ()
    text: str | None = None  # only for zone buttons

    @property
    def ref(self) -> int | None:
        return self.refs[0] if self.refs else None


# A type for buttons that services and texts can build without importing telegram:
# rows of (label, callback data).
Buttons = list[list[tuple[str, str]]]


def pack(kind: str, action: str, *refs: int | None) -> str:
    data = ":".join([kind, action, *(str(r) for r in refs if r is not None)])
    assert unpack(data) is not None, data
    return data


def pack_zone(zone: str) -> str:
    data = f"{ZONE}:{zone}"
    assert _ZONE.match(data) and len(data.encode()) <= 64, data
    return data


def unpack(data: object) -> Callback | None:
    """The callback, or None for anything that isn't one of ours (forged, garbled, foreign)."""
    if not isinstance(data, str) or len(data.encode("utf-8", "replace")) > 64:
        return None
    zone = _ZONE.match(data)
    if zone is not None:
        return Callback(ZONE, "set", (), zone.group(1))
    match = _SHAPE.match(data)
    if match is None:
        return None
    kind, action, raw = match.groups()
    refs = tuple(int(r) for r in raw.split(":")[1:])
    if SHAPES.get(kind, {}).get(action) != len(refs) or any(r > MAX_ID for r in refs):
        return None
    return Callback(kind, action, refs)
