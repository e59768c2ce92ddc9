"""Secrets the local stack invents for itself, kept in the 0700 state directory.

The local ClickHouse front and broker must not be open to every process on the machine, yet a developer
should not have to invent passwords to run the demo. So the stack generates each secret once, stores it in
``<state_dir>/secrets/<name>`` (mode 0600, directory 0700) and every cxpulse component started with the same
settings reads it from there. A deployment sets its own secrets (env or TOML) and never touches these files.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

__all__ = ["local_secret", "private_dir", "secret_path"]

_SECRET_BYTES = 32
_SECRETS_DIR = "secrets"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only: state holds raw PII and credentials.

    An existing directory is tightened too, so a state dir made by an older cxpulse with the default umask
    does not stay world-readable.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def secret_path(state_dir: Path, name: str) -> Path:
    """Where the secret ``name`` of the stack with this state dir lives (settings name it without creating it)."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"not a secret name: {name!r}")
    return state_dir / _SECRETS_DIR / name


def local_secret(state_dir: Path, name: str) -> str:
    """The secret ``name`` of this local stack: read it, or create it once (racing creators agree on one)."""
    path = secret_path(state_dir, name)
    folder = private_dir(path.parent)
    if not path.exists():
        # written under a temporary name, then linked: a reader never sees a half-written file, and of two
        # racing creators the second's link fails and it reads the first one's secret
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_urlsafe(_SECRET_BYTES) + "\n")
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise RuntimeError(f"{path} is empty: remove it to generate a new secret")
    return value
