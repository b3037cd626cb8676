"""Telegram's text formatting, parsed the way the Bot API does: HTML and MarkdownV2 become plain
text plus entities (offsets in UTF-16 code units), and malformed markup is refused with the
Bot API's "can't parse entities" errors — so a bot that interpolates user text unescaped fails
here as it would in production."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class EntityParseError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(f"Bad Request: can't parse entities: {detail}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Builder:
    text: list[str] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    length: int = 0  # UTF-16 units so far

    def add(self, chunk: str) -> None:
        self.text.append(chunk)
        self.length += utf16_len(chunk)

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        entities = [e for e in self.entities if e["length"] > 0]
        entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.text), entities


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


# --- HTML ------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, dict[str, Any]]] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "<":
            match = _TAG.match(source, i)
            if match is None:
                raise EntityParseError(
                    f"Unexpected end tag or unsupported start tag at byte offset {_byte_offset(source, i)}"
                )
            closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
            if name not in _HTML_TAGS:
                kind = "end" if closing else "start"
                raise EntityParseError(
                    f'Unsupported {kind} tag "{name}" at byte offset {_byte_offset(source, i)}'
                )
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "nothing"
                    raise EntityParseError(
                        f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                        f'expected {expected}, found "</{name}>"'
                    )
                _, entity = stack.pop()
                entity["length"] = out.length - entity["offset"]
                out.entities.append(entity)
            else:
                entity = {"type": _HTML_TAGS[name], "offset": out.length, "length": 0}
                attributes = {
                    m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                    for m in _ATTR.finditer(attrs)
                }
                if name == "a":
                    href = attributes.get("href", "")
                    if href.startswith("tg://user?id="):
                        entity = {**entity, "type": "text_mention"}
                    else:
                        entity["url"] = href
                if name == "span" and attributes.get("class") != "tg-spoiler":
                    raise EntityParseError(
                        f'Unsupported start tag "span" at byte offset {_byte_offset(source, i)}'
                    )
                stack.append((name, entity))
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(source, i)
            if match is None:
                raise EntityParseError(
                    f"Character '&' must be escaped as &amp; at byte offset {_byte_offset(source, i)}"
                )
            body = match.group(1)
            if body.startswith("#x"):
                out.add(chr(int(body[2:], 16)))
            elif body.startswith("#"):
                out.add(chr(int(body[1:])))
            elif body in _NAMED:
                out.add(_NAMED[body])
            else:
                out.add(match.group(0))  # Telegram keeps unknown named entities as text
            i = match.end()
        elif ch == ">":
            raise EntityParseError(
                f"Character '>' must be escaped as &gt; at byte offset {_byte_offset(source, i)}"
            )
        else:
            out.add(ch)
            i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


# --- MarkdownV2 -------------------------------------------------------------------------------

_RESERVED = set("_*[]()~`>#+-=|{}.!")


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    open_: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    i = 0
    line_start = True

    def toggle(kind: str) -> None:
        if kind in open_:
            if order[-1] != kind:
                raise EntityParseError(
                    f"Can't find end of {order[-1].capitalize()} entity at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            entity = open_.pop(kind)
            order.pop()
            entity["length"] = out.length - entity["offset"]
            out.entities.append(entity)
        else:
            open_[kind] = {"type": kind, "offset": out.length, "length": 0}
            order.append(kind)

    while i < len(source):
        ch = source[i]
        if ch == "\\":
            if i + 1 >= len(source):
                raise EntityParseError(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(source[i + 1])
            i += 2
            line_start = False
            continue
        if ch == "\n":
            out.add(ch)
            i += 1
            line_start = True
            continue
        if ch not in _RESERVED:
            out.add(ch)
            i += 1
            line_start = False
            continue
        if ch == "*":
            toggle("bold")
            i += 1
        elif ch == "_":
            if source.startswith("__", i):
                toggle("underline")
                i += 2
            else:
                toggle("italic")
                i += 1
        elif ch == "~":
            toggle("strikethrough")
            i += 1
        elif ch == "|" and source.startswith("||", i):
            toggle("spoiler")
            i += 2
        elif ch == "`":
            fence = "```" if source.startswith("```", i) else "`"
            end = source.find(fence, i + len(fence))
            while end != -1 and source[end - 1] == "\\":
                end = source.find(fence, end + 1)
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of {'Pre' if fence == '```' else 'Code'} entity at byte "
                    f"offset {_byte_offset(source, i)}"
                )
            body = source[i + len(fence) : end]
            if fence == "```" and "\n" in body:
                body = body.split("\n", 1)[1]
            body = re.sub(r"\\([`\\])", r"\1", body)
            start = out.length
            out.add(body)
            out.entities.append(
                {
                    "type": "pre" if fence == "```" else "code",
                    "offset": start,
                    "length": out.length - start,
                }
            )
            i = end + len(fence)
        elif ch == "[":
            close = source.find("](", i)
            end = source.find(")", close + 2) if close != -1 else -1
            if close == -1 or end == -1:
                raise EntityParseError(
                    "Character '[' is reserved and must be escaped with the preceding '\\'"
                )
            inner, _ = parse_markdown_v2(source[i + 1 : close])
            start = out.length
            out.add(inner)
            out.entities.append(
                {
                    "type": "text_link",
                    "offset": start,
                    "length": out.length - start,
                    "url": source[close + 2 : end],
                }
            )
            i = end + 1
        elif ch == ">" and line_start:
            i += 1  # a quoted line; the quote itself is not modelled
        else:
            raise EntityParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        line_start = False
    if order:
        raise EntityParseError(
            f"Can't find end of {order[-1].capitalize()} entity at byte offset "
            f"{_byte_offset(source, len(source))}"
        )
    return out.result()


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    if parse_mode is None or parse_mode == "":
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return text.replace("*", "").replace("_", "").replace("`", ""), []
    raise EntityParseError(f"Unsupported parse_mode {parse_mode!r}")  # pragma: no cover
