"""The built wheel, installed with only the declared runtime dependencies (the locked ones) into
a fresh virtual environment, imports every module and runs `digest init` and `digest demo`
from another folder: templates, migrations and sample data ship inside the package, and
nothing imported is missing from pyproject.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
IMPORT_ALL = """
import importlib, pkgutil, digest
names = [m.name for m in pkgutil.walk_packages(digest.__path__, "digest.")
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
print("imported", len(names))
"""


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the locked runtime dependencies and the wheel built from this tree."""
    uv = shutil.which("uv")
    assert uv, "uv (a test dependency) is not installed"
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy, so the build leaves no build/ or egg-info in the checkout
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(".venv*", ".git", "build", "*.egg-info", "__pycache__"),
    )
    run(uv, "build", "--wheel", "--out-dir", tmp / "dist", src, cwd=tmp)
    wheel = next((tmp / "dist").glob("digest-*.whl"))
    venv = tmp / "venv"
    run(uv, "venv", "-q", "--python", sys.executable, venv, cwd=tmp)
    python = venv / "bin" / "python"
    lock = ROOT / "requirements" / "runtime.lock"
    run(uv, "pip", "install", "-q", "--python", python, "--require-hashes", "-r", lock, cwd=tmp)
    run(uv, "pip", "install", "-q", "--python", python, "--no-deps", wheel, cwd=tmp)
    return venv


def test_every_module_imports_with_only_the_declared_dependencies(installed: Path) -> None:
    elsewhere = installed.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    out = run(installed / "bin" / "python", "-c", IMPORT_ALL, cwd=elsewhere)
    assert int(out.split()[-1]) > 40
    origin = run(
        installed / "bin" / "python", "-c", "import digest; print(digest.__file__)", cwd=elsewhere
    )
    assert str(installed) in origin  # the installed copy, not this checkout


def test_init_and_demo_work_from_another_folder(installed: Path) -> None:
    elsewhere = installed.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env["DIGEST_DATABASE_URL"] = f"sqlite:///{elsewhere / 'digest.db'}"
    env["PATH"] = f"{installed / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    out = run("digest", "init", cwd=elsewhere, env=env)
    assert "head" in out or "upgraded" in out or "database" in out
    out = run("digest", "demo", "--out", elsewhere / "previews", cwd=elsewhere, env=env)
    assert "nothing was sent" in out
    assert len(list((elsewhere / "previews").glob("*.html"))) == 4
