"""Which claimed messages have left this process — so that a crash loses none of them.

Telegram's Bot API has no idempotency key: a row a process claimed (`sending`) and then died
with may or may not have reached Telegram, and a second send could put the words on someone's
screen twice. The journal turns "may or may not" into what happened. The moment a request's last
byte is handed to the kernel — which still delivers it if the process is killed an instant later
— the row's id and attempt are appended to this process's own file, with one write(2) and no
await in between. A response other than 200 voids the line again (Telegram did not send it).

While the process lives it holds an exclusive lock on its file. A process that finds another
process's file unlocked knows that process is gone, and settles its claims at once: a row whose
request left may be on the recipient's screen and becomes `uncertain`; a row whose request never
left goes back to `pending` and is sent once. A process on another machine, whose journal is not
here, is settled by its lease running out instead (`uncertain`: never sent twice).

The directory must be on a local disk (flock). Lines survive SIGKILL (they are in the page
cache); a power cut can lose the last ones, and the rows they name would then be sent again."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger(__name__)

SUFFIX = ".sent"

# The claim whose request the current task is making: (delivery id, attempt).
_claim: ContextVar[tuple[int, int] | None] = ContextVar("steady_claim", default=None)
# Called the moment the current task's request has been written (the rate limiter's pacing).
_written: ContextVar[Callable[[], None] | None] = ContextVar("steady_written", default=None)


@contextlib.contextmanager
def on_written(callback: Callable[[], None]) -> Iterator[None]:
    token = _written.set(callback)
    try:
        yield
    finally:
        _written.reset(token)


@contextlib.contextmanager
def sending(delivery_id: int, attempt: int) -> Iterator[None]:
    """Requests made inside this block carry the claim; its line is written when one leaves."""
    token = _claim.set((delivery_id, attempt))
    try:
        yield
    finally:
        _claim.reset(token)


class Journal:
    """This process's file: `node <id>` once, then `+ <delivery> <attempt>` when a request
    left and `- <delivery> <attempt>` when Telegram answered that it did not send it."""

    def __init__(self, directory: Path, node: str) -> None:
        self.directory = directory
        self.node = node
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in node)
        self.path = directory / f"{safe}{SUFFIX}"
        self._fd: int | None = None

    def open(self) -> None:
        """Create and lock the file (at start, once the token is known to be good)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, f"node {self.node}\n".encode())
        except OSError:
            os.close(fd)
            raise
        self._fd = fd

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def left(self, delivery_id: int, attempt: int) -> None:
        self._write(f"+ {delivery_id} {attempt}\n")

    def refused(self, delivery_id: int, attempt: int) -> None:
        self._write(f"- {delivery_id} {attempt}\n")

    def _write(self, line: str) -> None:
        if self._fd is not None:
            os.write(self._fd, line.encode())

    def size(self) -> int:
        return os.fstat(self._fd).st_size if self._fd is not None else 0

    def truncate(self) -> None:
        """Start afresh — only when none of this process's claims is unsettled."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.write(self._fd, f"node {self.node}\n".encode())

    def close(self) -> None:
        """Release the file; the next process to look settles whatever it still names (after a
        clean stop, nothing) and removes it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True)
class Orphan:
    """The journal of a process that is gone."""

    path: Path
    node: str
    left: frozenset[tuple[int, int]]  # (delivery, attempt) whose request may have arrived
    fd: int  # holding its lock

    def forget(self) -> None:
        """Its claims are settled in the database: remove the file (and release it)."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)


def orphans(directory: Path, own: Path | None) -> list[Orphan]:
    """Journals in `directory` whose process is gone (nobody holds their lock). Each is returned
    locked; call `forget()` once its rows are settled, or `release(...)` to leave it."""
    found: list[Orphan] = []
    try:
        paths = sorted(directory.glob(f"*{SUFFIX}"))
    except OSError:
        return found
    for path in paths:
        if own is not None and path == own:
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # settled by someone else meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # its process is alive
            continue
        parsed = _parse(path)
        if parsed is None:
            os.close(fd)
            continue
        node, left = parsed
        found.append(Orphan(path, node, frozenset(left), fd))
    return found


def release(found: list[Orphan]) -> None:
    for orphan in found:
        os.close(orphan.fd)


def _parse(path: Path) -> tuple[str, set[tuple[int, int]]] | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if not lines or not lines[0].startswith("node "):
        return None
    left: set[tuple[int, int]] = set()
    for line in lines[1:]:
        parts = line.split()
        if len(parts) != 3 or parts[0] not in "+-" or not (parts[1] + parts[2]).isdigit():
            continue
        key = (int(parts[1]), int(parts[2]))
        if parts[0] == "+":
            left.add(key)
        else:
            left.discard(key)
    return lines[0][5:], left


class JournalTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, with httpcore's trace hook on every request made for a claim: the
    journal line is written right after the request body is sent (no await in between)."""

    def __init__(self, journal: Journal, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._journal = journal

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        claim, written = _claim.get(), _written.get()
        if claim is not None or written is not None:
            request.extensions = {**request.extensions, "trace": self._tracer(claim, written)}
        return await super().handle_async_request(request)

    def _tracer(self, claim: tuple[int, int] | None, written: Callable[[], None] | None) -> Any:
        journal = self._journal

        async def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith("send_request_body.complete"):
                if claim is not None:
                    journal.left(*claim)
                if written is not None:
                    written()
            elif event.endswith("receive_response_headers.complete"):
                # HTTP/1.1 returns (version, status, …); HTTP/2 (status, headers).
                value: tuple[Any, ...] = info.get("return_value") or (None, None)
                status = value[0] if event.startswith("http2.") else value[1]
                if status != 200 and claim is not None:
                    journal.refused(*claim)

        return trace
