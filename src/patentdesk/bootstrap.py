"""What a server needs on its data folder before it serves: schema, CA, office keys.

Each step is idempotent; ``patentdesk serve`` runs them on every start.
"""

from __future__ import annotations

import importlib
import os

from patentdesk.cluster import migrate_once
from patentdesk.config import Settings

# Steps other domains add: (module, function) taking Settings.
STEPS: list[tuple[str, str]] = [
    ("patentdesk.pki.service", "bootstrap"),
    ("patentdesk.updates.repository", "refresh_on_start"),
    ("patentdesk.fees.gateway", "bootstrap"),
]


def prepare(settings: Settings) -> None:
    settings.data.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data, 0o700)
    migrate_once(settings.sqlalchemy_url)
    for module_name, func in STEPS:
        getattr(importlib.import_module(module_name), func)(settings)
