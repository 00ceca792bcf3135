"""The wearer's context beyond posture: meetings, focus, snoozes, prompts already given.

In: posture events (through ``service.ingest``), acks and focus messages, the store's
snapshots after a restart, and each wearer's ICS calendar. Out: a per-wearer
``service.rules.Context`` that the rules engine reads.

Upstream: ``service.ingest``, ``service.store``, calendar files or URLs. Downstream:
``service.rules.engine``. Modules: ``cache`` (contexts in memory, rebuilt from the
store), ``calendar`` (ICS → meetings, polled).
"""

from service.context.cache import Contexts, WearerState
from service.context.calendar import CalendarError, CalendarPoller, parse_meetings

__all__ = ["CalendarError", "CalendarPoller", "Contexts", "WearerState", "parse_meetings"]
