"""An ``Ingest`` wired as the service wires it: the bundled rules, metrics, notifier."""

from __future__ import annotations

from service.ingest import Ingest
from service.live import Live
from service.metrics import Metrics
from service.notify import Notifier
from service.rules import Engine, default_rules_path, load_rules
from service.store.sql import SqlStore
from sitless.mqtt import MqttClient


def new_ingest(
    store: SqlStore,
    client: MqttClient,
    *,
    engine: type[Engine] = Engine,
    flush_interval_s: float = 5.0,
) -> Ingest:
    """An ingest over ``store`` that publishes through ``client`` (started or not)."""
    metrics = Metrics()
    return Ingest(
        mqtt=client,
        store=store,
        engine=engine(load_rules(default_rules_path()), "UTC"),
        notifier=Notifier(client, metrics),
        metrics=metrics,
        live=Live(),
        flush_interval_s=flush_interval_s,
    )
