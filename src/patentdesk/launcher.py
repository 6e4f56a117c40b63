"""The ``patentdesk`` command's entry point: runs the client version the updater installed.

The program installed with pip (or shipped with the installer) is the *built-in* client. The
updater (``patentdesk update``) installs newer versions under ``PATENTDESK_HOME/app`` and
names the current one in ``app/current.json``, replaced atomically (see
:mod:`patentdesk.updates.install`). Every ``patentdesk`` command starts here and

1. reads ``app/current.json``; if it names a *client build* (a version folder holding the
   ``patentdesk`` package) at least as new as the built-in client,
2. checks every file of that folder against its install manifest (SHA-256 and length, a few
   milliseconds) — files quarantined or "cleaned" by antivirus software (seed B4) are caught
   before any of them runs,
3. imports the command line from that folder and runs it.

If the installed version is damaged or does not start, the built-in client runs instead and
says so on stderr, so that ``patentdesk update`` (which repairs) and ``patentdesk doctor``
(which names the damaged files) always work. ``PATENTDESK_LAUNCHER=builtin`` skips the
installed version altogether.

Only the standard library is used here: whatever this module imports would otherwise be
loaded from the built-in client before the installed one takes over.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

# Set for the running process (and inherited by its children) when an installed version runs.
RUNNING_ENV = "PATENTDESK_RUNNING_INSTALLED"
ENTRY_FILE = "patentdesk/cli/main.py"


def _home() -> Path:
    configured = os.environ.get("PATENTDESK_HOME")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "patentdesk"


def _version_key(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _builtin_version() -> str:
    from patentdesk import __version__

    return __version__


def verify_tree(root: Path, files: dict[str, Any]) -> list[dict[str, str]]:
    """Files of ``root`` missing or different from the manifest's ``files``."""
    problems = []
    for rel, expected in sorted(files.items()):
        path = root / rel
        try:
            with path.open("rb") as fh:
                digest = hashlib.sha256()
                length = 0
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
                    length += len(chunk)
        except FileNotFoundError:
            problems.append({"path": rel, "problem": "missing"})
            continue
        except OSError:
            problems.append({"path": rel, "problem": "unreadable"})
            continue
        if length != expected.get("length") or digest.hexdigest() != expected.get("sha256"):
            problems.append({"path": rel, "problem": "changed"})
    return problems


def choose(home: Path | None = None) -> dict[str, Any]:
    """Which client runs: ``{"run": "installed"|"builtin", "reason", "version", "folder",
    "problems"}``. ``reason`` says why the built-in client runs (``none``: nothing installed;
    ``not_a_client_build``; ``older``: the built-in client is newer; ``damaged``; ``disabled``).
    """
    builtin = _builtin_version()
    result: dict[str, Any] = {"run": "builtin", "builtin_version": builtin}
    if os.environ.get("PATENTDESK_LAUNCHER", "").lower() == "builtin":
        return {**result, "reason": "disabled"}
    app = (home or _home()) / "app"
    try:
        state = json.loads((app / "current.json").read_text("utf-8"))
        version, dir_name = state["version"], state["dir"]
        if not isinstance(version, str) or not isinstance(dir_name, str) or "/" in dir_name:
            raise ValueError(dir_name)
        manifest = json.loads((app / "manifests" / f"{dir_name}.json").read_text("utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {**result, "reason": "none"}
    folder = app / "versions" / dir_name
    result |= {"version": version, "folder": str(folder)}
    if ENTRY_FILE not in files:
        return {**result, "reason": "not_a_client_build"}
    try:
        if _version_key(version) < _version_key(builtin):
            return {**result, "reason": "older"}
    except ValueError:
        return {**result, "reason": "not_a_client_build"}
    problems = verify_tree(folder, files)
    if problems:
        return {**result, "reason": "damaged", "problems": problems}
    return {**result, "run": "installed"}


def _forget_patentdesk() -> None:
    for name in [m for m in sys.modules if m == "patentdesk" or m.startswith("patentdesk.")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def _warn(zh: str, en: str) -> None:
    sys.stderr.write(f"警告：{zh}\nwarning: {en}\n")


def main() -> None:
    """The console script ``patentdesk``."""
    choice = choose()
    if choice["run"] == "installed":
        folder = choice["folder"]
        _forget_patentdesk()
        sys.path.insert(0, folder)
        try:
            entry = importlib.import_module("patentdesk.cli.main")
            if not str(Path(entry.__file__ or "").resolve()).startswith(
                str(Path(folder).resolve())
            ):
                raise ImportError(f"patentdesk.cli.main loaded from {entry.__file__}")
        except Exception as exc:  # any failure to start means: run the built-in client
            sys.path.remove(folder)
            _forget_patentdesk()
            _warn(
                f"已安装的客户端 {choice['version']} 无法启动（{type(exc).__name__}: {exc}），"
                f"改用随附的客户端 {choice['builtin_version']}；请运行 patentdesk update 修复",
                f"the installed client {choice['version']} does not start "
                f"({type(exc).__name__}: {exc}); running the built-in client "
                f"{choice['builtin_version']}. Run patentdesk update to repair it",
            )
        else:
            os.environ[RUNNING_ENV] = folder
            entry.main()
            return
    elif choice.get("reason") == "damaged":
        listed = ", ".join(p["path"] for p in choice["problems"][:5])
        _warn(
            f"已安装的客户端 {choice['version']} 有文件缺失或被改动（{listed}），"
            f"改用随附的客户端 {choice['builtin_version']}；请运行 patentdesk update 修复",
            f"files of the installed client {choice['version']} are missing or changed "
            f"({listed}); running the built-in client {choice['builtin_version']}. "
            "Run patentdesk update to repair it",
        )
    os.environ.pop(RUNNING_ENV, None)
    from patentdesk.cli.main import main as builtin_main

    builtin_main()
