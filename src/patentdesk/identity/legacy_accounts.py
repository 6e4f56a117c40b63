"""Accounts migrated from the legacy system (旧系统账户迁移).

Legacy accounts often lack what registration now requires — a verified mobile number, a
resident ID number that passes its check digit, sometimes the real name. They are imported as
they are; such an account cannot log in anywhere until its holder completes it (补录, seed A1).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as Db

from patentdesk import audit
from patentdesk.errors import ValidationFailed
from patentdesk.identity import idnumbers
from patentdesk.identity.models import User, UserKind
from patentdesk.identity.passwords import hash_password
from patentdesk.identity.service import Context, profile_missing
from patentdesk.packages.text import forbidden_character

COLUMNS = ("login_name", "phone", "name", "id_number", "password_hash")
MAX_ROWS = 100_000


@dataclass
class ImportedAccount:
    row: int
    account: str
    user_id: str
    missing: list[str]
    initial_password: str | None = None  # generated: the legacy export had no usable hash


@dataclass
class AccountImport:
    imported: list[ImportedAccount] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": len(self.imported),
            "skipped": len(self.skipped),
            "incomplete": sum(1 for a in self.imported if a.missing),
            "accounts": [
                {"row": a.row, "account": a.account, "user_id": a.user_id, "missing": a.missing}
                for a in self.imported
            ],
            "skipped_accounts": self.skipped,
        }


class AccountFileInvalid(ValidationFailed):
    code = "ACCOUNT_FILE_INVALID"
    message_zh = "账户文件有 {count} 处错误，未导入任何账户：{listed}"
    message_en = "The account file has {count} error(s); nothing was imported: {listed}"


def read_csv(text: str) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV with a header naming some of :data:`COLUMNS`."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if not header or unknown or not ({"login_name", "phone"} & set(header)):
        what = f"unknown column(s) {', '.join(unknown)}" if unknown else "no login_name/phone"
        raise AccountFileInvalid(
            count=1,
            listed=f"表头 header: {what}; allowed: {', '.join(COLUMNS)}",
            details={"errors": [{"row": 1, "field": "header", "problem": what}]},
        )
    rows = []
    for raw in reader:
        rows.append({k.strip(): (v or "").strip() for k, v in raw.items() if k is not None})
        if len(rows) > MAX_ROWS:
            raise AccountFileInvalid(count=1, listed=f"more than {MAX_ROWS} rows")
    return rows


def import_accounts(db: Db, ctx: Context, rows: Iterable[dict[str, str]]) -> AccountImport:
    """Every row is checked before anything is written: one bad row, nothing imported.
    Accounts that already exist (same phone or login name) are skipped, so a second run of
    the same file imports nothing twice."""
    errors: list[dict[str, Any]] = []
    ready: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    report = AccountImport()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        problems, clean = _check_row(row)
        errors += [{"row": number, "field": f, "problem": p} for f, p in problems]
        if problems:
            continue
        keys = [k for k in (clean["phone"], clean["login_name"]) if k]
        if seen & set(keys):
            errors.append({"row": number, "field": "account", "problem": "appears twice"})
            continue
        seen.update(keys)
        conditions = []
        if clean["phone"]:
            conditions.append(User.phone == clean["phone"])
        if clean["login_name"]:
            conditions.append(User.login_name == clean["login_name"])
        if db.scalar(select(User.id).where(or_(*conditions))) is not None:
            report.skipped.append({"row": number, "account": keys[0], "reason": "exists"})
            continue
        ready.append((number, clean))
    if errors:
        listed = "; ".join(f"row {e['row']} {e['field']}: {e['problem']}" for e in errors[:10])
        raise AccountFileInvalid(
            count=len(errors),
            listed=listed + ("; …" if len(errors) > 10 else ""),
            details={"errors": errors[:200]},
        )
    from patentdesk.orgs.service import create_personal_domain

    for number, clean in ready:
        generated = None
        if not clean["password_hash"]:
            generated = secrets.token_urlsafe(9) + "7k"
        user = User(
            kind=UserKind.NATURAL,
            phone=clean["phone"],
            login_name=clean["login_name"],
            name=clean["name"],
            id_number=clean["id_number"],
            password_hash=clean["password_hash"] or hash_password(generated or ""),
        )
        db.add(user)
        db.flush()
        create_personal_domain(db, user)
        missing = profile_missing(user)
        account = clean["phone"] or clean["login_name"]
        audit.record(
            db,
            "user.imported",
            environment=ctx.settings.environment,
            target=f"user:{user.id}",
            ip=ctx.ip,
            missing=missing,
        )
        report.imported.append(ImportedAccount(number, account, str(user.id), missing, generated))
    return report


def _check_row(row: dict[str, str]) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    problems: list[tuple[str, str]] = []
    phone = row.get("phone") or None
    if phone is not None:
        phone = idnumbers.normalise_mobile(phone)
        if not idnumbers.mobile_valid(phone):
            problems.append(("phone", "not a mainland mobile number"))
    login_name = row.get("login_name") or None
    if login_name is not None and not (3 <= len(login_name) <= 64):
        problems.append(("login_name", "3 to 64 characters"))
    if phone is None and login_name is None:
        problems.append(("account", "neither phone nor login_name"))
    name = " ".join((row.get("name") or "").split())
    if len(name) > 100:
        problems.append(("name", "longer than 100 characters"))
    bad = forbidden_character(name)
    if bad is not None:
        # A name a certificate cannot hold only sends its owner to 补录; hidden characters
        # are the file's problem to fix.
        problems.append(("name", f"holds {bad} (control, text-direction or zero-width)"))
    password_hash = row.get("password_hash") or None
    if password_hash is not None and not password_hash.startswith("$argon2"):
        problems.append(("password_hash", "not an argon2 hash; leave it empty to generate one"))
    id_number = (row.get("id_number") or "").upper() or None
    if id_number is not None and len(id_number) > 18:
        id_number = None  # cannot be right; 补录 asks for it
    clean = {
        "phone": phone,
        "login_name": login_name,
        "name": name,
        "id_number": id_number,
        "password_hash": password_hash,
    }
    return problems, clean
