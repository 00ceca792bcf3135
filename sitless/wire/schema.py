"""JSON Schema of each wire message, generated into ``docs/wire/``.

Regenerate with ``python -m sitless.wire.schema``; a test fails when the files are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sitless.wire.codec import MODELS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "wire"


def schemas() -> dict[str, str]:
    """File name → JSON Schema text, one per topic kind that carries a message."""
    return {
        f"{kind.value}.schema.json": json.dumps(model.model_json_schema(), indent=2) + "\n"
        for kind, model in MODELS.items()
    }


def write(folder: Path = DOCS) -> list[Path]:
    """Write every schema into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in schemas().items():
        path = folder / name
        path.write_text(text)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS):
        print(written)
