"""Case packages (案卷包): the container, forms, validation rules and editing.

Runs without the server (no database, no web framework), so the offline client, the web
portal and submission all use the same code. The interface the server calls::

    read_package(path_or_file, limits, verify_signature=None) -> Package
    validate(package, ValidationContext(...)) -> ValidationReport
    BUSINESS_TYPES / get_business_type(name)
    idnumbers.is_valid_resident_id / is_valid_uscc
"""

from __future__ import annotations

from patentdesk.packages import idnumbers
from patentdesk.packages.container import (
    FORMAT,
    MANIFEST_PATH,
    MIMETYPE,
    Manifest,
    ManifestFile,
    Package,
    Signature,
    add_signature,
    list_signatures,
    manifest_bytes,
    read_package,
)
from patentdesk.packages.errors import PackageError, PackageRefused
from patentdesk.packages.registry import BUSINESS_TYPES, ROLES, BusinessType, get_business_type
from patentdesk.packages.validation import (
    Finding,
    ValidationContext,
    ValidationReport,
    iter_rules,
    validate,
)
from patentdesk.packages.zipsafe import Limits

__all__ = [
    "BUSINESS_TYPES",
    "FORMAT",
    "MANIFEST_PATH",
    "MIMETYPE",
    "ROLES",
    "BusinessType",
    "Finding",
    "Limits",
    "Manifest",
    "ManifestFile",
    "Package",
    "PackageError",
    "PackageRefused",
    "Signature",
    "ValidationContext",
    "ValidationReport",
    "add_signature",
    "get_business_type",
    "idnumbers",
    "iter_rules",
    "list_signatures",
    "manifest_bytes",
    "read_package",
    "validate",
]
