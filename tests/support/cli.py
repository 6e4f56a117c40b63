"""Runs the ``patentdesk`` CLI as a subprocess, the way an agency's script would.

The command runs with ``python -m patentdesk`` from this checkout's ``src`` (also in git
worktrees), with ``PATENTDESK_*`` settings from the caller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def error(self) -> dict[str, Any]:
        return json.loads(self.stderr.strip().splitlines()[-1])["error"]


def cli_env(**settings: str | os.PathLike[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATENTDESK_")}
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    env["NO_COLOR"] = "1"
    for key, value in settings.items():
        env[f"PATENTDESK_{key.upper()}"] = str(value)
    return env


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
    check: bool = False,
) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "patentdesk", *args],
        env=env or cli_env(),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"patentdesk {' '.join(args)} failed: {proc.stderr}")
    return result
