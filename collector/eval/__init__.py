"""Scoring the posture classifier against labelled recordings.

In: recordings in the shared format (``t,ax,ay,az,label,source_label``, CSV or gzip CSV)
and the epochs a classifier made of them. Out: per-file and pooled scores -- a confusion
matrix over the six scored postures, per-class precision/recall/F1, sedentary balanced
accuracy, cycling F1, sedentary minutes -- as plain data that ``sitless eval`` prints
and writes as JSON.

Upstream: ``collector.sources.Replay`` (the samples), ``collector.posture`` (our epochs)
and, optionally, ActiMotus (``baseline``). Downstream: ``sitless eval`` and the bench.

Modules in flow order: ``truth`` (each 1-s epoch's label, and which epochs are scored)
-> ``score`` (counting and the figures derived from the counts) -> ``runs`` (one file
through our classifier or the baseline); ``baseline`` wraps ActiMotus.
"""

from collector.eval.score import Score
from collector.eval.truth import OTHER, SCORED, Truth, read_truth

__all__ = ["OTHER", "SCORED", "Score", "Truth", "read_truth"]
