"""Prometheus metrics and a readiness check, served on METRICS_LISTEN (host:port) when set:
`/metrics` in Prometheus' text format, `/healthz` → 200 when the database answers and the
dispatcher is running, 503 (with the failing check named) otherwise.

Each bot has its own registry (tests run several in one process). The server is tornado's, which
python-telegram-bot's webhook mode already brings, on the bot's own event loop."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.httpserver
import tornado.web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0  # seconds the database may take to answer a readiness check
# A sent message more than this late (downtime, quiet hours aside) counts as late.
LATE_AFTER = 60.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "steady_updates",
            "Updates from Telegram handled, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "steady_deliveries",
            "Outgoing messages by outcome: sent, late (sent, over a minute after due), "
            "retry, skipped, failed, uncertain.",
            ["outcome"],
            registry=self.registry,
        )
        self.dispatcher_lag = Gauge(
            "steady_dispatcher_lag_seconds",
            "How long the oldest due message had waited when the dispatcher last looked.",
            registry=self.registry,
        )
        self.relay_latency = Histogram(
            "steady_relay_latency_seconds",
            "From a tap on 💛 Reassure me to the agreed words delivered.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


Check = Callable[[], Awaitable[bool]]


class _MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(self.metrics.exposition())


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, checks: dict[str, Check]) -> None:
        self.checks = checks

    async def get(self) -> None:
        results: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                ok = await asyncio.wait_for(check(), HEALTH_TIMEOUT)
            except Exception as exc:  # any failure is "not ready", named, never a traceback
                log.warning("readiness check %s failed: %s", name, type(exc).__name__)
                ok = False
            results[name] = "ok" if ok else "failing"
        self.set_status(200 if all(v == "ok" for v in results.values()) else 503)
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(results))


def serve(
    metrics: Metrics, checks: dict[str, Check], host: str, port: int
) -> tornado.httpserver.HTTPServer:
    """Start listening (raises OSError if the port is taken)."""
    app = tornado.web.Application(
        [
            (r"/metrics", _MetricsHandler, {"metrics": metrics}),
            (r"/healthz", _HealthHandler, {"checks": checks}),
        ]
    )
    server = tornado.httpserver.HTTPServer(app)
    server.listen(port, address=host)
    return server


def update_kind(update: Any) -> str:
    """message, edited_message, callback_query, my_chat_member … (the field that is set)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"
