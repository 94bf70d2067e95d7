"""`make test-pythons`: the whole suite once on each Python version named, one after another.

Each version found (`pythonX.Y` on PATH, else the newest pyenv build of it) gets its own venv
under `~/.cache/luckydraw/pythons/` with `.[dev,local]`, or `.[dev]` where the embedded
servers cannot be installed (pgserver has no wheel for 3.13). Every run uses the same
PostgreSQL and Redis: TEST_DATABASE_URL / TEST_REDIS_URL when set, else the embedded servers
started once from `.venv` (which has the `local` extra). Prints each version's pass counts and
duration; exit status 1 when a run failed or a version was not found. Not part of `make test`
or CI: a slow check for a release or a dependency bump.

    .venv/bin/python -m tests.pythons 3.12 3.13 [-- pytest arguments]
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from app import devservers

ROOT = Path(__file__).resolve().parent.parent
# Outside the checkout (tests walk its files), one set per checkout.
VENVS = (
    Path.home() / ".cache" / "luckydraw" / "pythons"
    / f"{ROOT.name}-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}"
)  # fmt: skip


@dataclass
class Run:
    version: str
    python: str = "not found"
    extras: str = ""
    summary: str = "skipped"
    seconds: float = 0.0
    ok: bool = False


def find_python(version: str) -> Path | None:
    """`pythonX.Y` on PATH, else the newest pyenv build, whichever runs as that version (a
    pyenv shim on PATH fails when the version is not selected)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    builds = sorted(
        pyenv.glob(f"{version}.*/bin/python{version}"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)],
        reverse=True,
    )
    on_path = shutil.which(f"python{version}")
    for candidate in ([Path(on_path)] if on_path else []) + builds:
        said = subprocess.run(
            [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if said.stdout.strip() == version:
            return candidate
    return None


def venv_for(version: str, python: Path) -> tuple[Path, str]:
    """The version's venv with the project installed (again when pyproject.toml changed)."""
    venv = VENVS / f"py{version}"
    stamp = venv / ".installed"
    if stamp.exists() and stamp.stat().st_mtime >= (ROOT / "pyproject.toml").stat().st_mtime:
        return venv, stamp.read_text().strip()
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    for extras in ("dev,local", "dev"):
        if subprocess.run([*pip, "-e", f"{ROOT}[{extras}]"], check=False).returncode == 0:
            stamp.write_text(extras)
            return venv, extras
        print(f"python{version}: .[{extras}] does not install, trying less", flush=True)
    raise RuntimeError(f"python{version}: the project does not install")


def servers(stack: ExitStack) -> dict[str, str]:
    """TEST_DATABASE_URL and TEST_REDIS_URL: given, or embedded ones stopped at the end."""
    found = {k: os.environ.get(k, "") for k in ("TEST_DATABASE_URL", "TEST_REDIS_URL")}
    data_dir = ROOT / ".data" / "test-pythons"
    for key, start in (
        ("TEST_DATABASE_URL", devservers.start_postgres),
        ("TEST_REDIS_URL", devservers.start_redis),
    ):
        if not found[key]:
            server = start(data_dir)
            if not server.reused:
                stack.callback(server.stop)
            found[key] = server.url
    return found


def summary_of(output: str) -> str:
    """pytest's summary line, e.g. "1203 passed, 2 skipped in 612.30s (0:10:12)"."""
    found = re.findall(r"^=* ?(\d+ (?:passed|failed|error).* in [\d.]+s.*?) ?=*$", output, re.M)
    return found[-1] if found else "no summary (see the log)"


def run(version: str, env: dict[str, str], pytest_args: list[str]) -> Run:
    result = Run(version)
    python = find_python(version)
    if python is None:
        return result
    venv, result.extras = venv_for(version, python)
    result.python = str(python)
    log = venv / "pytest.log"
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
             *pytest_args],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
            check=False,
        )  # fmt: skip
    result.seconds = time.monotonic() - started
    result.summary = summary_of(log.read_text())
    result.ok = done.returncode == 0
    print(f"python{version}: {result.summary} (log: {log})", flush=True)
    return result


def table(runs: list[Run]) -> Iterator[str]:
    yield "| version | interpreter | extras | result | seconds |"
    yield "| --- | --- | --- | --- | --- |"
    for r in runs:
        yield f"| {r.version} | {r.python} | {r.extras} | {r.summary} | {r.seconds:.0f} |"


def main(argv: list[str]) -> int:
    versions, pytest_args = argv, []
    if "--" in argv:
        cut = argv.index("--")
        versions, pytest_args = argv[:cut], argv[cut + 1 :]
    with ExitStack() as stack:
        env = servers(stack)
        runs = [run(v, env, pytest_args) for v in versions]
    print("\n".join(table(runs)))
    return 0 if runs and all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
