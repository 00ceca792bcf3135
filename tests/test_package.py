"""What the wheel ships beyond Python: the vendored chart library, migrations, the report.

The dashboard must work without reaching any other site, so the chart library is part of
the package, with its licence, at the version and checksum its README records.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "service/web/static/vendor"
SHIPPED = (
    "service/web/static/index.html",
    "service/web/static/app.js",
    "service/web/static/style.css",
    "service/web/static/vendor/chart.umd.min.js",
    "service/web/static/vendor/chart.js.LICENSE.md",
    "service/export/report.html",
    "service/store/migrations/env.py",
    "service/store/migrations/script.py.mako",
    "service/store/migrations/versions/0001_initial_schema.py",
)


def test_the_vendored_chart_library_is_the_recorded_release_with_its_licence() -> None:
    row = next(
        line
        for line in (VENDOR / "README.md").read_text().splitlines()
        if line.startswith("| `chart.umd.min.js`")
    )
    version, checksum = re.findall(r"\| ([0-9.]+) \| `([0-9a-f]{64})` \|", row)[0]
    library = (VENDOR / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(library).hexdigest() == checksum
    assert library.startswith(f"/*!\n * Chart.js v{version}\n".encode())
    assert "MIT License" in (VENDOR / "chart.js.LICENSE.md").read_text()


def test_the_page_loads_nothing_from_another_site() -> None:
    static = ROOT / "service/web/static"
    for name in ("index.html", "app.js", "style.css"):
        text = (static / name).read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), name
        assert "@import" not in text and "url(http" not in text, name


def test_the_wheel_ships_the_dashboard_library_migrations_and_report(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("sitless-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        missing = [name for name in SHIPPED if name not in names]
        assert not missing, missing
        library = archive.read("service/web/static/vendor/chart.umd.min.js")
    assert library == (VENDOR / "chart.umd.min.js").read_bytes()
