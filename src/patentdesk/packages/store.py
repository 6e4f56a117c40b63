"""The client's local case list (``package list``): an index in ``PATENTDESK_HOME``.

``cases.json`` records every package the client created, edited, exported or imported,
keyed by its absolute path; imported packages are copied into ``cases/<package_id>.zip``
first (seed C9: an imported case shows up in the list and can be modified there).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from patentdesk.packages.container import MANIFEST_PATH, SIGNATURE_RE
from patentdesk.packages.registry import MAIN_FORM
from patentdesk.packages.zipsafe import DEFAULT_LIMITS, check_entries, open_checked
from patentdesk.timeutil import iso, now

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class CaseIndex:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.file = home / "cases.json"
        self.folder = home / "cases"

    def stored_path(self, package_id: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.folder / f"{package_id}.zip"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, dict[str, Any]]]:
        """Loads, yields for changes and saves the index under a lock (parallel CLI runs)."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".cases.lock", "a+b") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._load()
            yield data
            tmp = self.file.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), "utf-8")
            os.replace(tmp, self.file)

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.file.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def record(self, path: Path, origin: str) -> dict[str, Any]:
        """Adds or refreshes the entry of the (already verified) package at ``path``."""
        manifest, form, signatures = summary(path)
        key = str(path.resolve())
        entry = {
            "path": key,
            "package_id": manifest.get("package_id"),
            "business_type": manifest.get("business_type"),
            "title": form.get("title"),
            "internal_number": form.get("internal_number"),
            "application_number": form.get("application_number")
            or form.get("international_application_number")
            or form.get("patent_number"),
            "signatures": signatures,
            "updated_at": iso(now()),
        }
        with self._locked() as data:
            entry["origin"] = data.get(key, {}).get("origin", origin)
            data[key] = entry
        return entry

    def forget(self, path: Path) -> None:
        with self._locked() as data:
            data.pop(str(path.resolve()), None)

    def entries(self) -> list[dict[str, Any]]:
        items = []
        for entry in self._load().values():
            items.append({**entry, "exists": Path(entry["path"]).exists()})
        return sorted(items, key=lambda e: e.get("updated_at") or "", reverse=True)

    def find(self, package_id: str) -> list[dict[str, Any]]:
        return [e for e in self.entries() if e.get("package_id") == package_id]


def summary(path: Path) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Manifest, main form and signature count, read cheaply (no hashing) for the list."""
    with open(path, "rb") as fp:
        zf = open_checked(fp, os.fstat(fp.fileno()).st_size)
        names = {i.filename: i for i in check_entries(zf)}
        limit = DEFAULT_LIMITS.max_form_size

        def load(name: str) -> dict[str, Any]:
            info = names.get(name)
            if info is None or info.file_size > limit:
                return {}
            try:
                value = json.loads(zf.read(info).decode("utf-8"))
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}

        signatures = sum(1 for n in names if SIGNATURE_RE.match(n))
        return load(MANIFEST_PATH), load(MAIN_FORM), signatures
