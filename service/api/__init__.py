"""The JSON API: health, metrics, and per wearer and day what the store knows.

In: HTTP requests. Out: JSON built from the SQL store through ``service.bouts``
(summaries) and live updates from ``service.live``. Upstream: the store and ingest;
downstream: the dashboard page and any client (OpenAPI docs at ``/docs``).
"""

from service.api.routes import router

__all__ = ["router"]
