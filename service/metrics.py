"""Counters the service keeps and serves at ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

from collections import Counter


class Metrics:
    """Named counters with one optional label each, e.g. rejected{reason="not_json"}."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._help: dict[str, tuple[str, str]] = {}

    def describe(self, name: str, text: str, label: str = "reason") -> None:
        """Give a counter its help line and the name of its label."""
        self._help[name] = (text, label)

    def inc(self, name: str, label: str = "", by: int = 1) -> None:
        """Add ``by`` to counter ``name`` (under ``label`` if given)."""
        self._counts[(name, label)] += by

    def get(self, name: str, label: str = "") -> int:
        """The value of one counter (0 if never counted)."""
        return self._counts[(name, label)]

    def total(self, name: str) -> int:
        """The sum of a counter over all its labels."""
        return sum(v for (n, _), v in self._counts.items() if n == name)

    def as_dict(self) -> dict[str, int]:
        """Flat view, ``name`` or ``name:label`` -> value."""
        return {f"{n}:{lbl}" if lbl else n: v for (n, lbl), v in sorted(self._counts.items())}

    def prometheus(self) -> str:
        """Prometheus exposition text."""
        lines: list[str] = []
        names = sorted({n for n, _ in self._counts} | set(self._help))
        for name in names:
            text, key = self._help.get(name, (name, "reason"))
            metric = f"sitless_{name}_total"
            lines.append(f"# HELP {metric} {text}")
            lines.append(f"# TYPE {metric} counter")
            for (n, lbl), value in sorted(self._counts.items()):
                if n == name:
                    labels = f'{{{key}="{lbl}"}}' if lbl else ""
                    lines.append(f"{metric}{labels} {value}")
        return "\n".join(lines) + "\n"
