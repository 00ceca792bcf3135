"""Exports: epochs, bouts and prompts as CSV or Parquet, activPAL-style events, weekly report.

In: bouts and prompts of one wearer over a span of local days (from the SQL store).
Out: files for a researcher (``tables``: CSV/Parquet; ``activpal``: an events CSV that
tools written for activPAL read) and for a clinician or coach (``report``: a printable
weekly HTML page, and a PDF where a converter is installed). Upstream ``service.bouts``
resolves overlapping bouts, so every export adds up to what the dashboard shows.

Epochs are not stored in SQL: they are derived from the bouts, one row per whole second
a bout covers. That is the same information (a bout is a run of equal epochs), exact to
the second, and available whether or not InfluxDB is configured.
"""

from service.export.tables import TABLES, Table, table_rows, to_csv, to_parquet

__all__ = ["TABLES", "Table", "table_rows", "to_csv", "to_parquet"]
