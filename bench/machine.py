"""What the machine was doing during a bench: the load average at its start and end.

Benches on a shared 2-core machine measure the neighbours too; printing ``uptime`` before and after lets a reader
judge whether a figure is the pipeline's or the CI run's next door.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["cores", "uptime"]

_LOADAVG = Path("/proc/loadavg")
_TIMEOUT_S = 5.0


def uptime() -> str:
    """The ``uptime`` command's line (load averages over 1, 5, 15 min), or /proc/loadavg when it is missing."""
    exe = shutil.which("uptime")
    if exe is not None:
        try:
            done = subprocess.run([exe], capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        return "loadavg " + _LOADAVG.read_text().strip()
    except OSError:
        return "load average unknown"


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
