"""Rules: when to prompt (triggers) and what to suggest (routines).

In: the user's YAML files in ``rules/`` (or any directory or file given), and posture
events handed over by ``service.ingest``. Out: a checked ``RuleSet`` (or one
``RuleError`` listing every problem) and, per event, the ``Due`` prompts, each able to
build its wire ``Prompt``.

Upstream: ``service.ingest`` (events), the rule files. Downstream: ``service.notify``
and ``service.store`` (which deduplicates prompts by id). Stages: ``schema`` (the file
format) → ``load`` (files → ``RuleSet``) → ``engine`` (event → ``Due``).
"""

from service.rules.engine import Due, Engine
from service.rules.load import Problem, default_rules_path, load_rules
from service.rules.schema import Routine, RuleFile, RuleSet, Trigger, TriggerKind, json_schema_text

__all__ = [
    "Due",
    "Engine",
    "Problem",
    "Routine",
    "RuleFile",
    "RuleSet",
    "Trigger",
    "TriggerKind",
    "default_rules_path",
    "json_schema_text",
    "load_rules",
]
