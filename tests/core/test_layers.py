"""The layers are a contract (pyproject.toml, [tool.importlinter]): core ← excel ← domains, the
domains know each other only through named interfaces, core knows no file format."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-logo", "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_application_keeps_its_layer_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _all_but_python(folder: str, names: list[str]) -> list[str]:
    return [
        n
        for n in names
        if not n.endswith(".py") and not (Path(folder) / n / "__init__.py").exists()
    ]


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("app/core/leak.py", "import app.catalogue\n", "core <- excel <- domains BROKEN"),
        ("app/core/leak.py", "from app.excel import writer\n", "core <- excel <- domains BROKEN"),
        ("app/excel/leak.py", "import app.accounts.policy\n", "core <- excel <- domains BROKEN"),
        ("app/core/leak.py", "import openpyxl\n", "core knows no file format BROKEN"),
        (
            "app/licences/leak.py",
            "from app.catalogue import services\n",
            "domains know each other only through named interfaces BROKEN",
        ),
    ],
)
def test_an_import_across_the_layers_breaks_the_contract(tmp_path, module, source, broken):
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=_all_but_python)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(source)
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout
    assert f"{module[:-3].replace('/', '.')} -> " in result.stdout
