"""The hashed lock files cover every dependency, and every installer uses them with hash checking."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock: Path) -> dict[str, list[str]]:
    """``package -> its sha256 hashes`` of a pip-compile/uv lock (``name==version \\`` then ``--hash=`` lines)."""
    pins: dict[str, list[str]] = {}
    current = ""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            name, sep, version = line.partition("==")
            assert sep and version.strip(" \\"), f"{lock.name}: not pinned exactly: {line!r}"
            current = _canonical(name)
            pins[current] = []
        elif "--hash=sha256:" in line:
            pins[current].append(line.split("--hash=sha256:")[1].strip(" \\"))
    return pins


def _requirements(*groups: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for group in groups:
        specs += project["optional-dependencies"][group]
    return {_canonical(_NAME.match(spec).group(1)) for spec in specs}  # type: ignore[union-attr]


@pytest.mark.parametrize(("lock", "groups"), [("requirements.lock", ()), ("requirements-test.lock", ("test",))])
def test_every_dependency_is_pinned_with_hashes(lock: str, groups: tuple[str, ...]) -> None:
    pins = _pins(ROOT / lock)
    missing = _requirements(*groups) - pins.keys()
    assert not missing, f"{lock} lacks {sorted(missing)}: run bash scripts/lock.sh"
    assert {"setuptools", "wheel"} <= pins.keys(), "the build backend is installed from the lock too"
    unhashed = [name for name, hashes in pins.items() if not hashes]
    assert not unhashed, f"{lock}: no hash for {unhashed}"
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for hashes in pins.values() for h in hashes)


@pytest.mark.parametrize(
    ("installer", "lock"), [("scripts/setup.sh", "requirements-test.lock"), ("Dockerfile", "requirements.lock")]
)
def test_installers_take_only_what_the_lock_pins(installer: str, lock: str) -> None:
    text = (ROOT / installer).read_text(encoding="utf-8")
    assert f"--require-hashes --no-deps -r {lock}" in text or ("--require-hashes --no-deps -r" in text and lock in text)
    installs = [line for line in text.splitlines() if "pip install" in line and not line.lstrip().startswith("#")]
    for line in installs:
        assert "--require-hashes" in line or "--no-deps" in line, f"{installer}: an unpinned install: {line.strip()}"
