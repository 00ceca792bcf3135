"""A prompt as text for people: what to do, how much, why, and the easier way out."""

from __future__ import annotations

from sitless.wire import Prompt


def render_text(prompt: Prompt) -> str:
    """The prompt as plain text: message, numbered steps, dose, cues, variants, why."""
    lines = [prompt.message, ""]
    for i, step in enumerate(prompt.steps, 1):
        dose = " ".join(
            x for x in (step.reps, f"hold {step.hold_s:g} s" if step.hold_s else None) if x
        )
        lines.append(f"{i}. {step.text}" + (f" ({dose})" if dose else ""))
    extra = []
    if prompt.dose:
        extra.append(f"How much: {prompt.dose}")
    if prompt.cues:
        extra.append("Keep in mind: " + "; ".join(prompt.cues) + ".")
    if prompt.easier:
        extra.append(f"Easier: {prompt.easier}")
    if prompt.harder:
        extra.append(f"Harder: {prompt.harder}")
    if prompt.alternative:
        extra.append("Can't stand up now? Answer \"can't stand\" for a seated alternative.")
    if prompt.why:
        extra.append(f"Why: {prompt.why}")
    if extra:
        lines += ["", *extra]
    return "\n".join(lines).strip()
