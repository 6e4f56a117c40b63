"""Imports every domain's models so that the metadata is complete (migrations, checks)."""

from __future__ import annotations

import importlib

DOMAINS_WITH_MODELS: tuple[str, ...] = (
    "patentdesk.audit",
    "patentdesk.identity.models",
    "patentdesk.orgs.models",
    "patentdesk.query.models",
    "patentdesk.pki.models",
    "patentdesk.filing.models",
    "patentdesk.notices.models",
    "patentdesk.fees.models",
    "patentdesk.alerts.models",
    "patentdesk.drafts.models",
)


def load_all_models() -> None:
    for name in DOMAINS_WITH_MODELS:
        importlib.import_module(name)
