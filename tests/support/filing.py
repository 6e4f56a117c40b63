"""Building, signing and submitting case packages through the CLI, as SPEC §10's recipe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.actors import Desktop, Phone
from tests.support.factories import valid_uscc

CLAIMS = "1. 一种折叠式电动自行车，其特征在于，包括车架和折叠机构。\n2. 根据权利要求1所述的电动自行车，其特征在于，所述折叠机构位于车架中部。\n"
DESCRIPTION = "一种折叠式电动自行车\n技术领域\n本发明涉及电动自行车。\n背景技术\n现有电动自行车不便携带。\n发明内容\n本发明提供一种可折叠的电动自行车。\n具体实施方式\n如图所示，车架中部设有折叠机构。\n"
ABSTRACT = "本发明公开了一种折叠式电动自行车，包括车架和折叠机构，便于携带。"


def write_parts(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    parts = {"claims": CLAIMS, "description": DESCRIPTION, "abstract": ABSTRACT}
    paths = {}
    for role, text in parts.items():
        path = folder / f"{role}.txt"
        path.write_text(text, "utf-8")
        paths[role] = path
    return paths


def new_invention(
    desktop: Desktop,
    path: Path,
    *,
    title: str = "一种折叠式电动自行车",
    internal_number: str = "AG-2026-0001",
    extra: tuple[str, ...] = (),
) -> Path:
    r = desktop.run("package", "new", "--type", "invention", "--out", str(path), "--json")
    assert r.returncode == 0, r.stderr
    r = desktop.run(
        "package",
        "set",
        str(path),
        f"title={title}",
        f"internal_number={internal_number}",
        "applicants.0.name=杭州某某科技有限公司",
        f"applicants.0.uscc={valid_uscc()}",
        "applicants.0.address=浙江省杭州市西湖区文三路1号",
        "applicants.0.postal_code=310012",
        "inventors.0.name=张三",
        *extra,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    for role, part in write_parts(path.parent / (path.stem + "-parts")).items():
        r = desktop.run("package", "add", str(path), "--role", role, str(part), "--json")
        assert r.returncode == 0, r.stderr
    return path


def new_followup(desktop: Desktop, path: Path, kind: str, *fields: str) -> Path:
    r = desktop.run("package", "new", "--type", kind, "--out", str(path), "--json")
    assert r.returncode == 0, r.stderr
    if fields:
        r = desktop.run("package", "set", str(path), *fields, "--json")
        assert r.returncode == 0, r.stderr
    return path


def sign(desktop: Desktop, phone: Phone, path: Path) -> dict[str, Any]:
    pending = desktop.start("sign", str(path), "--timeout", "30", qr_name="sign-qr.txt")
    scanned = phone.scan(pending.payload())
    assert scanned.returncode == 0, scanned.stderr
    result = pending.result()
    assert result.returncode == 0, result.stderr
    return dict(result.json)


def submit(desktop: Desktop, path: Path, *extra: str) -> Any:
    return desktop.run("submit", str(path), *extra, "--json", timeout=120)
