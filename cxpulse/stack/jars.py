"""The local broker's jars, pinned: every jar's SHA-512 is in the repo, checked before each broker start.

Maven's default checksum policy only warns, and the jar cache (``[stack] jar_cache``) outlives every run: a jar
swapped there — by a compromised mirror on the first fetch, or by any process that can write the cache later —
would run as the broker, next to the raw PII topic. So the fetch runs with strict checksums (``mvn -C``), and the
broker starts only when the cache holds exactly the jars of ``jars/kafka-<version>.sha512`` with those digests.

``python -m cxpulse.stack.jars --pin`` fetches the configured version (strict) and writes its manifest; review
the jar list before committing it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from importlib import resources
from pathlib import Path

from cxpulse.stack.process import StackError

__all__ = ["manifest_for", "read_manifest", "verify_jars", "write_manifest"]

_CHUNK = 1 << 20


def manifest_for(version: str) -> Path:
    """Where the pinned digests of Kafka ``version`` live (inside the installed package)."""
    return Path(str(resources.files("cxpulse.stack") / "jars" / f"kafka-{version}.sha512"))


def read_manifest(path: Path) -> dict[str, str]:
    """``jar name -> sha512`` from a ``sha512sum``-format file (``#`` lines are comments)."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 128 or not name:
            raise StackError(f"{path}: not a sha512sum line: {line[:80]!r}")
        pins[name.strip()] = digest.lower()
    return pins


def _sha512(path: Path) -> str:
    digest = hashlib.sha512()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_jars(libs: Path, version: str) -> None:
    """Raise :class:`StackError` unless ``libs`` holds exactly the pinned jars of ``version``, byte for byte."""
    manifest = manifest_for(version)
    if not manifest.is_file():
        raise StackError(
            f"no pinned digests for Kafka {version} ({manifest}): pin them with `python -m cxpulse.stack.jars --pin` "
            "after reviewing that version, or use the pinned [stack] kafka_version"
        )
    pins = read_manifest(manifest)
    present = {jar.name: jar for jar in libs.glob("*.jar")}
    problems = [f"missing {name}" for name in sorted(pins.keys() - present.keys())]
    problems += [f"not pinned {name}" for name in sorted(present.keys() - pins.keys())]
    shared = sorted(pins.keys() & present.keys())
    problems += [f"digest differs {name}" for name in shared if _sha512(present[name]) != pins[name]]
    if problems:
        raise StackError(
            f"the Kafka jars in {libs} do not match {manifest.name}: {'; '.join(problems[:10])}"
            + (f" (+{len(problems) - 10} more)" if len(problems) > 10 else "")
            + f". Remove {libs.parent} to fetch them again (strict checksums)."
        )


def write_manifest(libs: Path, version: str, out: Path) -> int:
    """Write the digests of every jar in ``libs``; returns how many."""
    jars = sorted(libs.glob("*.jar"))
    lines = [
        f"# SHA-512 of every jar of the local broker (Apache Kafka {version}, resolved by cxpulse/stack/pom.xml).",
        "# The stack refuses to start the broker when a jar differs, is missing or is not listed. Regenerate:",
        "#   python -m cxpulse.stack.jars --pin",
    ]
    lines += [f"{_sha512(jar)}  {jar.name}" for jar in jars]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(jars)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cxpulse.stack.jars", description=__doc__.splitlines()[0])
    parser.add_argument("--pin", action="store_true", help="fetch the configured version and write its manifest")
    args = parser.parse_args(argv)
    from cxpulse.settings import load_settings
    from cxpulse.stack.kafka import KafkaService

    service = KafkaService(load_settings())
    version = load_settings().stack.kafka_version
    if args.pin:
        libs = service.ensure_jars(verify=False)
        count = write_manifest(libs, version, manifest_for(version))
        print(f"pinned {count} jars of Kafka {version} in {manifest_for(version)}")
        return 0
    verify_jars(service.libs_dir, version)
    print(f"Kafka {version} jars in {service.libs_dir} match {manifest_for(version).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
