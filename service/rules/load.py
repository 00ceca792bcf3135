"""Read rule files into a checked ``RuleSet``, reporting every problem at once.

A problem is anything that would make a rule behave differently from what its author
wrote: a YAML syntax error, a key given twice, an unknown or mistyped field, a bad time
window or timezone, a routine that does not exist, a name defined in two files. They are
all collected across files and raised together as one ``RuleError`` whose message names
file, line, rule and field for each, and whose ``value`` holds the ``Problem`` records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from service.rules.schema import Name, Routine, RuleSet, Trigger
from sitless.errors import RuleError
from sitless.wire import Step

SECTIONS = {"triggers": "trigger", "routines": "routine"}

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the rule files."""

    file: str
    message: str
    line: int | None = None
    section: str | None = None
    """``trigger`` or ``routine``, when the problem is inside one."""
    rule: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.rule is not None:
            parts.append(f"{self.section or 'rule'} {self.rule!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return f"{', '.join(parts)}: {self.message}"


def default_rules_path() -> Path:
    """The bundled rules: ``rules/`` in a source checkout, else the installed copy.

    The wheel force-includes the repository's ``rules/`` as ``sitless/defaults/rules``.
    """
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "rules").is_dir():
        return root / "rules"
    import sitless

    return Path(sitless.__file__).resolve().parent / "defaults" / "rules"


def load_rules(path: str | Path) -> RuleSet:
    """Load a rule file, or every ``*.yaml`` / ``*.yml`` file of a directory.

    Each trigger and routine is checked on its own, so one broken rule does not hide
    the problems of the others, and then all of them are checked against each other.

    Raises:
        RuleError: listing every problem found (``value`` is a tuple of ``Problem``).
    """
    problems: list[Problem] = []
    files: list[_File] = []
    for file in _files(Path(path), problems):
        name = str(file)
        result = _read(file, name, problems)
        if result is not None:
            files.append(_validate(name, *result, problems))
    ruleset = _combine(files, problems)
    if problems:
        count = len(problems)
        raise RuleError(
            f"{count} problem{'s' if count > 1 else ''} in rule files:\n"
            + "\n".join(f"  {p}" for p in problems),
            value=tuple(problems),
        )
    return ruleset


def _files(path: Path, problems: list[Problem]) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            problems.append(Problem(str(path), "no *.yaml rule files in this directory"))
        return files
    problems.append(Problem(str(path), "no such file or directory"))
    return []


class _Loader(yaml.SafeLoader):
    """Safe YAML; positions are taken from the node tree before it is constructed."""


def _read(file: Path, name: str, problems: list[Problem]) -> tuple[Any, dict[Loc, int]] | None:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, f"cannot read: {exc}"))
        return None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        lines: dict[Loc, int] = {}
        _positions(node, (), lines, name, problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(s) for s in (exc.context, exc.problem) if s)
        problems.append(Problem(name, f"YAML syntax: {what}", line=line))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(name, f"YAML: {exc}"))
        return None
    finally:
        loader.dispose()
    if data is None:
        return {}, lines
    if not isinstance(data, dict):
        problems.append(
            Problem(name, "a rule file is a mapping with triggers: and/or routines:", line=1)
        )
        return None
    return data, lines


def _positions(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], name: str, problems: list[Problem]
) -> None:
    """Record the line of every mapping key and list item; refuse duplicate keys.

    PyYAML silently keeps the last of two equal keys, which would drop a rule without a
    word, so a repeated key is a problem here. The repeat is taken out of the node tree
    so that the rest of the file is still checked.
    """
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        kept = []
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                section, rule, field = _describe((*loc, key))
                problems.append(
                    Problem(
                        name,
                        f"key {key!r} appears twice (first on line {seen[key]})",
                        line=line,
                        section=section,
                        rule=rule,
                        field=field,
                    )
                )
                continue
            seen[key] = line
            kept.append((key_node, value_node))
            _positions(value_node, (*loc, key), lines, name, problems)
            lines[(*loc, key)] = line
        node.value = kept
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _positions(item, (*loc, index), lines, name, problems)


def _describe(loc: Loc) -> tuple[str | None, str | None, str | None]:
    """(section, rule, field) of a location inside a rule file."""
    parts = [str(p) for p in loc if p != "[key]"]
    if parts and parts[0] in SECTIONS and len(parts) >= 2:
        field = ".".join(parts[2:]) or ("(name)" if "[key]" in loc else None)
        return SECTIONS[parts[0]], parts[1], field
    return None, None, ".".join(parts) or None


def _line(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    """Line of ``loc`` or of its nearest enclosing key found in the file.

    Mapping keys are recorded as YAML wrote them (text), so a key YAML read as a number
    is looked up as text too.
    """
    for end in range(len(loc), -1, -1):
        line = lines.get(loc[:end])
        if line is None:
            line = lines.get(tuple(str(p) for p in loc[:end]))
        if line is not None:
            return line
    return None


def _explain(
    exc: ValidationError, name: str, lines: Mapping[Loc, int], prefix: Loc = ()
) -> list[Problem]:
    out = []
    for error in exc.errors(include_url=False):
        loc: Loc = (*prefix, *error["loc"])
        section, rule, field = _describe(loc)
        if error["type"] == "value_error":
            message = str(error["ctx"]["error"])
        elif error["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see docs/rules.schema.json)"
        else:
            message = error["msg"]
        out.append(
            Problem(
                name,
                message,
                line=_line(tuple(p for p in loc if p != "[key]"), lines),
                section=section,
                rule=rule,
                field=field,
            )
        )
    return out


@dataclass
class _File:
    """The valid triggers and routines of one file, and the names of the broken ones."""

    name: str
    lines: dict[Loc, int]
    triggers: dict[str, Trigger] = field(default_factory=dict)
    routines: dict[str, Routine] = field(default_factory=dict)
    broken: set[tuple[str, str]] = field(default_factory=set)


_NAME = TypeAdapter(Name)
_MODELS: dict[str, type[Trigger] | type[Routine]] = {"triggers": Trigger, "routines": Routine}


def _validate(
    name: str, data: dict[Any, Any], lines: dict[Loc, int], problems: list[Problem]
) -> _File:
    """Check one file's content the way ``RuleFile`` describes it, item by item."""
    out = _File(name, lines)
    for key in data:
        if key not in SECTIONS:
            problems.append(
                Problem(
                    name,
                    "unknown top-level key: a rule file has triggers: and/or routines:",
                    line=lines.get((str(key),)),
                    field=str(key),
                )
            )
    for section, model in _MODELS.items():
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, dict):
            problems.append(
                Problem(
                    name,
                    f"{section} must map names to {section}",
                    line=lines.get((section,)),
                    field=section,
                )
            )
            continue
        target: dict[str, Any] = out.triggers if section == "triggers" else out.routines
        for rule, raw in items.items():
            valid = True
            try:
                _NAME.validate_python(rule)
            except ValidationError as exc:
                problems.extend(_explain(exc, name, lines, (section, rule, "[key]")))
                valid = False
            try:
                item = model.model_validate(raw)
            except ValidationError as exc:
                problems.extend(_explain(exc, name, lines, (section, rule)))
                valid = False
            if valid:
                target[rule] = item
            else:
                out.broken.add((section, str(rule)))
    return out


def _combine(files: list[_File], problems: list[Problem]) -> RuleSet:
    """Merge files, refusing names defined twice and references to missing routines."""
    triggers: dict[str, Trigger] = {}
    routines: dict[str, Routine] = {}
    origin: dict[tuple[str, str], _File] = {}
    for file in files:
        for section, items in (("triggers", file.triggers), ("routines", file.routines)):
            target: dict[str, Any] = triggers if section == "triggers" else routines
            names = [*items, *(rule for s, rule in file.broken if s == section)]
            for rule in names:
                first = origin.get((section, rule))
                if first is not None:
                    problems.append(
                        Problem(
                            file.name,
                            f"{SECTIONS[section]} name already defined in {first.name}",
                            line=file.lines.get((section, rule)),
                            section=SECTIONS[section],
                            rule=rule,
                            field="(name)",
                        )
                    )
                    continue
                origin[(section, rule)] = file
                if rule in items:
                    target[rule] = items[rule]
    known = {rule for section, rule in origin if section == "routines"}

    def missing(section: str, rule: str, field: str, wanted: str) -> None:
        if wanted in known:
            return
        file = origin[(section, rule)]
        loc: Loc = (section, rule, *(int(p) if p.isdigit() else p for p in field.split(".")))
        problems.append(
            Problem(
                file.name,
                f"no routine named {wanted!r} (known: {', '.join(sorted(known)) or 'none'})",
                line=_line(loc, file.lines),
                section=SECTIONS[section],
                rule=rule,
                field=field,
            )
        )

    for rule, trigger in triggers.items():
        missing("triggers", rule, "routine", trigger.routine)
        if trigger.alternative is not None:
            missing("triggers", rule, "alternative", trigger.alternative)
            chosen = routines.get(trigger.alternative)
            if chosen is not None and not chosen.seated:
                file = origin[("triggers", rule)]
                problems.append(
                    Problem(
                        file.name,
                        f"routine {trigger.alternative!r} is offered to someone who cannot"
                        " stand, but it is not marked seated: true",
                        line=_line(("triggers", rule, "alternative"), file.lines),
                        section="trigger",
                        rule=rule,
                        field="alternative",
                    )
                )
    for rule, routine in routines.items():
        for index, step in enumerate(routine.steps):
            if step.routine is not None:
                missing("routines", rule, f"steps.{index}.routine", step.routine)

    steps: dict[str, tuple[Step, ...]] = {}
    for rule in routines:
        expanded = _expand(rule, routines, (), origin, problems)
        if expanded is not None:
            steps[rule] = expanded
    return RuleSet(triggers=triggers, routines=routines, steps=steps)


def _expand(
    rule: str,
    routines: Mapping[str, Routine],
    chain: tuple[str, ...],
    origin: Mapping[tuple[str, str], _File],
    problems: list[Problem],
) -> tuple[Step, ...] | None:
    """A routine's steps with included routines spliced in; None if that is impossible.

    Impossible means it includes itself (reported here, once per routine on the loop)
    or includes a routine that is missing or broken (reported elsewhere).
    """
    if rule in chain:
        if rule == chain[0]:
            file = origin[("routines", rule)]
            problems.append(
                Problem(
                    file.name,
                    "routine includes itself: " + " -> ".join((*chain, rule)),
                    line=file.lines.get(("routines", rule, "steps")),
                    section="routine",
                    rule=rule,
                    field="steps",
                )
            )
        return None
    out: list[Step] = []
    for step in routines[rule].steps:
        if step.routine is None:
            out.append(Step(text=step.text or "", hold_s=step.hold_s, reps=step.reps))
            continue
        if step.routine not in routines:
            return None
        inner = _expand(step.routine, routines, (*chain, rule), origin, problems)
        if inner is None:
            return None
        out.extend(inner)
    return tuple(out)
