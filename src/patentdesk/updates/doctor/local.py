"""Checks of this computer: installed files (B4), QR display (A12), session, certificates."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path
from typing import Any

from patentdesk.updates.doctor.base import Check, Probe
from patentdesk.updates.install import Installation

QR_FALLBACK_ZH = (
    "改用 patentdesk login --qr-png FILE 生成二维码图片（用看图软件打开后扫码），或 "
    "--qr-text FILE 写出二维码内容/短文本码"
)
QR_FALLBACK_EN = (
    "use patentdesk login --qr-png FILE to write the QR code as an image and scan it from an "
    "image viewer, or --qr-text FILE for its text and short code"
)


# --- B4: installed files -------------------------------------------------------------------


def check_install(home: Path) -> Check:
    inst = Installation(home)
    version = inst.current()
    if version is None:
        return Check(
            "install",
            True,
            "本机没有由更新程序安装的客户端文件",
            "No client files installed by the updater on this computer",
            level="info",
        )
    from patentdesk.launcher import choose

    problems = inst.verify()
    details = {
        "version": version,
        "folder": str(inst.current_dir()),
        "problems": problems,
        # What `patentdesk` starts: the installed version, or the built-in one and why.
        "runs": choose(home)["run"],
    }
    if not problems:
        count = len((inst.manifest(inst.state()["dir"]) or {}).get("files", {}))
        return Check(
            "install",
            True,
            f"客户端 {version} 的 {count} 个安装文件完整",
            f"All {count} installed files of client {version} are intact",
            details=details,
        )
    listed = "、".join(
        f"{p['path']}（{_PROBLEM_ZH.get(p['problem'], p['problem'])}）" for p in problems[:10]
    )
    listed_en = ", ".join(f"{p['path']} ({p['problem']})" for p in problems[:10])
    return Check(
        "install",
        False,
        f"客户端 {version} 有 {len(problems)} 个安装文件缺失或被改动：{listed}。"
        "常见原因是杀毒软件（如 360 安全卫士、电脑管家）把文件隔离或删除",
        f"{len(problems)} installed files of client {version} are missing or changed: "
        f"{listed_en}. Antivirus software quarantining or deleting files is the usual cause",
        level="error",
        fix=f"运行 patentdesk update 重新下载并修复（必要时重新安装客户端）；并把 {inst.app_dir} "
        "加入杀毒软件的信任区（白名单），以免再次被隔离",
        fix_en=f"Run patentdesk update to download and repair (or reinstall the client), and "
        f"add {inst.app_dir} to the antivirus trust zone (allow list) so it is not quarantined again",
        details=details,
    )


_PROBLEM_ZH = {
    "missing": "缺失",
    "changed": "被改动",
    "unreadable": "无法读取",
    "manifest_missing": "安装清单缺失",
}


# --- A12: can the terminal draw the QR code? -----------------------------------------------

QR_CHARS = "▀▄█"
_DOUBLE_WIDTH_ENCODINGS = (
    "gbk",
    "gb2312",
    "gb18030",
    "cp936",
    "big5",
    "cp950",
    "cp932",
    "shift_jis",
    "euc_jp",
    "euc_kr",
    "cp949",
)


def qr_columns(server: str) -> int:
    """Columns a login QR code needs: one per module, quiet zone of two on each side."""
    import segno

    sample = f"{server}/api/v1/auth/qr/" + "x" * 43  # the length of a typical login token
    width, _ = segno.make(sample, error="m", boost_error=False).symbol_size(border=2)
    return int(width)


def check_terminal(server: str, encoding: str | None = None, columns: int | None = None) -> Check:
    encoding = (encoding or getattr(sys.stdout, "encoding", None) or "ascii").lower()
    columns = columns or shutil.get_terminal_size().columns
    need = qr_columns(server)
    details = {"encoding": encoding, "columns": columns, "needed_columns": need}
    normalized = encoding.replace("-", "_")
    problems_zh, problems_en = [], []
    if not normalized.startswith("utf"):
        try:
            QR_CHARS.encode(encoding)
            encodable = True
        except (LookupError, UnicodeError):
            encodable = False
        if normalized in _DOUBLE_WIDTH_ENCODINGS or not encodable:
            problems_zh.append(
                f"终端编码为 {encoding}，二维码的方块字符"
                + (
                    "会显示成双倍宽度或乱码"
                    if encodable or normalized in _DOUBLE_WIDTH_ENCODINGS
                    else "无法显示"
                )
            )
            problems_en.append(
                f"the terminal encoding is {encoding}: the QR block characters show as "
                "double-width or garbled"
            )
    if columns < need:
        problems_zh.append(f"终端只有 {columns} 列，二维码需要至少 {need} 列")
        problems_en.append(f"the terminal has {columns} columns, the QR code needs {need}")
    if not problems_zh:
        return Check(
            "terminal_qr",
            True,
            f"终端可以显示登录二维码（{encoding}，{columns} 列）",
            f"The terminal can draw the login QR code ({encoding}, {columns} columns)",
            details=details,
        )
    return Check(
        "terminal_qr",
        False,
        "登录二维码会显示为乱码：" + "；".join(problems_zh),
        "The login QR code would be garbled: " + "; ".join(problems_en),
        level="error",
        fix=f"{QR_FALLBACK_ZH}；或把终端切换为 UTF-8（Windows：chcp 65001，或使用 Windows "
        f"Terminal）并把窗口加宽到至少 {need} 列",
        fix_en=f"{QR_FALLBACK_EN}; or switch the terminal to UTF-8 (Windows: chcp 65001, or "
        f"use Windows Terminal) and widen it to at least {need} columns",
        details=details,
    )


# --- session and certificates --------------------------------------------------------------


def check_session(home: Path, server: str, health: Probe | None) -> Check:
    from patentdesk.cli.client import load_session

    session = load_session()
    if session is None:
        return Check(
            "session",
            True,
            "未登录：以自然人身份离线使用客户端（需要时运行 patentdesk login）",
            "Not logged in: the client works offline as a natural person (patentdesk login "
            "when needed)",
            level="info",
        )
    relogin_zh, relogin_en = (
        "运行 patentdesk login 重新扫码登录",
        "Log in again with patentdesk login",
    )
    missing = [k for k in ("token", "role", "server") if not session.get(k)]
    details: dict[str, Any] = {
        k: session.get(k) for k in ("role", "server", "environment", "domain_name")
    }
    if missing:
        return Check(
            "session",
            False,
            f"登录信息不完整（缺少 {', '.join(missing)}）",
            f"The saved login is incomplete (missing {', '.join(missing)})",
            level="error",
            fix=relogin_zh,
            fix_en=relogin_en,
            details=details,
        )
    if str(session["server"]).rstrip("/") != server:
        return Check(
            "session",
            False,
            f"保存的登录属于服务器 {session['server']}，而当前配置的是 {server}",
            f"The saved login belongs to {session['server']}, but {server} is configured",
            level="error",
            fix=relogin_zh,
            fix_en=relogin_en,
            details=details,
        )
    expires = session.get("expires_at")
    if isinstance(expires, str):
        try:
            if dt.datetime.fromisoformat(expires.replace("Z", "+00:00")) < dt.datetime.now(dt.UTC):
                return Check(
                    "session",
                    False,
                    "登录已过期",
                    "The login has expired",
                    level="error",
                    fix=relogin_zh,
                    fix_en=relogin_en,
                    details=details,
                )
        except ValueError:
            pass
    server_env = (health.body or {}).get("environment") if health and health.ok else None
    if server_env and session.get("environment") and session["environment"] != server_env:
        return Check(
            "session",
            False,
            f"登录来自 {session['environment']} 环境，服务器是 {server_env} 环境：试用环境的账户和证书"
            "不会迁移到正式环境",
            f"The login comes from the {session['environment']} environment but the server is "
            f"{server_env}: trial accounts and certificates are not migrated",
            level="error",
            fix="重新注册或使用已补录的账号登录，并重新下载证书",
            fix_en="Register again (or log in with a completed account) and download the certificate again",
            details=details,
        )
    return Check(
        "session",
        True,
        f"已登录（角色 {session['role']}，{session.get('domain_name') or ''}）",
        f"Logged in (role {session['role']})",
        details=details,
    )


def check_certificates(home: Path, moment: dt.datetime | None = None) -> Check:
    from cryptography import x509

    moment = moment or dt.datetime.now(dt.UTC)
    skip = {home / "app", home / "updater"}
    found = []
    for path in sorted(home.rglob("*")):
        if path.suffix.lower() not in (".pem", ".crt", ".cer") or any(
            path.is_relative_to(s) for s in skip
        ):
            continue
        try:
            data = path.read_bytes()
            cert = (
                x509.load_pem_x509_certificate(data)
                if b"-----BEGIN CERTIFICATE" in data
                else x509.load_der_x509_certificate(data)
            )
        except (OSError, ValueError):
            continue  # keys and other files share these suffixes
        found.append((path, cert))
    if not found:
        return Check(
            "certificates",
            True,
            "本机没有证书文件（签名密钥和证书保存在手机 App 中）",
            "No certificate files on this computer (signing keys and certificates live in "
            "the mobile app)",
            level="info",
        )
    expired, soon = [], []
    for path, cert in found:
        if cert.not_valid_after_utc < moment or cert.not_valid_before_utc > moment:
            expired.append(path.name)
        elif cert.not_valid_after_utc - moment < dt.timedelta(days=30):
            soon.append(path.name)
    details = {"certificates": [p.name for p, _ in found], "invalid": expired, "expiring": soon}
    if expired:
        return Check(
            "certificates",
            False,
            f"证书已过期或尚未生效：{'、'.join(expired)}",
            f"Certificates expired or not yet valid: {', '.join(expired)}",
            level="error",
            fix="在手机 App 中重新申请并下载证书；若刚生效，请检查本机时间",
            fix_en="Request and download the certificate again in the mobile app; if it is "
            "brand new, check this computer's clock",
            details=details,
        )
    if soon:
        return Check(
            "certificates",
            True,
            f"证书将在 30 天内过期：{'、'.join(soon)}",
            f"Certificates expire within 30 days: {', '.join(soon)}",
            level="warning",
            fix="尽快在手机 App 中更新证书",
            fix_en="Renew them soon in the mobile app",
            details=details,
        )
    return Check(
        "certificates",
        True,
        f"{len(found)} 个证书均在有效期内",
        f"{len(found)} certificates are valid",
        details=details,
    )
