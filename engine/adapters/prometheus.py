"""Prometheus through prometheus-api-client, off the event loop, with timeouts and no retry storms."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from engine.errors import InvalidInput, Unavailable
from engine.ports import Series

__all__ = ["PrometheusMetrics", "Series", "graph_link"]


def graph_link(base_url: str, promql: str, start: datetime, end: datetime, step_s: float = 60) -> str:
    """Return a link to Prometheus's graph page for the query over [start, end]."""
    hours = max(1, int(math.ceil((end - start).total_seconds() / 3600)))
    params = {"g0.expr": promql, "g0.tab": "0", "g0.range_input": f"{hours}h",
              "g0.end_input": end.strftime("%Y-%m-%d %H:%M:%S"), "g0.step_input": str(int(step_s))}
    return f"{base_url}/graph?{urlencode(params)}"


class PrometheusMetrics:
    """Range and instant PromQL queries against one Prometheus server."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0) -> None:
        from prometheus_api_client import PrometheusConnect
        from urllib3.util.retry import Retry

        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        # One attempt per call: a scheduler that retries inside every query turns one slow
        # Prometheus into a storm; the next scheduled tick is the retry.
        self._client = PrometheusConnect(url=self.base_url, disable_ssl=True, retry=Retry(total=0),
                                         timeout=int(math.ceil(timeout_s)))

    async def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(self.timeout_s + 1):
                return await asyncio.to_thread(fn, *args, **kwargs)
        except (asyncio.TimeoutError, TimeoutError) as exc:
            raise Unavailable(f"Prometheus at {self.base_url} did not answer {what} within {self.timeout_s:.0f} s",
                              hint="check OPSBOT_PROMETHEUS_URL or make the query cheaper") from exc
        except Exception as exc:  # requests/urllib3 errors and PromQL errors alike
            import requests

            text = str(exc)
            # Decide by the exception's type first: a message can hold "400" in a port number.
            reached = not isinstance(exc, (requests.ConnectionError, requests.Timeout, OSError))
            if reached and ("bad_data" in text or "parse error" in text or _status(text) in (400, 422)):
                raise InvalidInput(f"Prometheus rejected the query: {text[:300]}") from exc
            raise Unavailable(f"Prometheus at {self.base_url} is not reachable: {text[:300]}",
                              hint="check OPSBOT_PROMETHEUS_URL") from exc

    async def query_range(self, promql: str, start: datetime, end: datetime, step_s: float) -> list[Series]:
        """Return every series of a range query between start and end."""
        raw = await self._call("a range query", self._client.custom_query_range, promql, start_time=start,
                               end_time=end, step=f"{max(1, int(step_s))}s")
        out = []
        for item in raw or []:
            points = [(float(t), float(v)) for t, v in item.get("values", [])]
            out.append(Series(dict(item.get("metric", {})), [t for t, _ in points], [v for _, v in points]))
        return out

    async def instant_values(self, query: str) -> list[float]:
        """Return the sample values of an instant query's vector result."""
        raw = await self._call("an instant query", self._client.custom_query, query)
        return [float(item["value"][1]) for item in raw or [] if "value" in item]

    async def ready(self) -> None:
        """Raise Unavailable unless Prometheus answers."""
        ok = await self._call("the health check", self._client.check_prometheus_connection)
        if not ok:
            raise Unavailable(f"Prometheus at {self.base_url} is not ready")

    def graph_url(self, promql: str, start: datetime, end: datetime, step_s: float = 60) -> str:
        """Return a link to Prometheus's graph page for the query over [start, end]."""
        return graph_link(self.base_url, promql, start, end, step_s)


def _status(text: str) -> int | None:
    """Return the HTTP status prometheus-api-client puts first in its error text ("HTTP Status Code 400 ...")."""
    import re

    found = re.search(r"Status Code (\d{3})", text)
    return int(found.group(1)) if found else None
