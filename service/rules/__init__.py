"""Rules: when to prompt (triggers) and what to suggest (routines).

In: the user's YAML files in ``rules/`` (or any directory or file given), and posture
events handed over by ``service.ingest`` with the wearer's ``Context`` (prompts sent,
snoozes, focus, meetings, today's totals). Out: a checked ``RuleSet`` (or one
``RuleError`` listing every problem) and, per event, a ``Decision``: the ``Due`` prompts
to give (each able to build its wire ``Prompt``), those held, those suppressed.

Upstream: ``service.ingest`` (events), the rule files. Downstream: ``service.notify``
and ``service.store`` (which deduplicates prompts by id). Stages: ``schema`` (the file
format) → ``load`` (files → ``RuleSet``) → ``context`` (per-wearer state, a plain value)
→ ``engine`` (event + context → ``Decision``).
"""

from service.rules.context import Context, DayTotals, Focus, FocusMode, Meeting, Sent, Snooze
from service.rules.engine import Decision, Due, Engine, Held
from service.rules.load import Problem, default_rules_path, load_rules
from service.rules.schema import Routine, RuleFile, RuleSet, Trigger, TriggerKind, json_schema_text

__all__ = [
    "Context",
    "DayTotals",
    "Decision",
    "Due",
    "Engine",
    "Focus",
    "FocusMode",
    "Held",
    "Meeting",
    "Problem",
    "Routine",
    "RuleFile",
    "RuleSet",
    "Sent",
    "Snooze",
    "Trigger",
    "TriggerKind",
    "default_rules_path",
    "json_schema_text",
    "load_rules",
]
