"""``patentdesk doctor``: what the seed's users diagnosed by hand, checked and explained.

Each check says, in Chinese and English, what it found and how to fix it: a proxy in
the way (B3), a server address that is not a domain name or does not answer (B2),
installed files quarantined by antivirus software (B4), a terminal that cannot draw the
login QR code (A12), clock skew, and the state of the login session and certificates.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import ipaddress
import shutil
import socket
import sys
import urllib.request
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from patentdesk.updates.install import Installation

LOCAL_HOSTS = {"localhost", "localhost.localdomain"}
SKEW_WARN = dt.timedelta(seconds=60)
SKEW_FAIL = dt.timedelta(minutes=5)
QR_FALLBACK_ZH = (
    "改用 patentdesk login --qr-png FILE 生成二维码图片（用看图软件打开后扫码），或 "
    "--qr-text FILE 写出二维码内容/短文本码"
)
QR_FALLBACK_EN = (
    "use patentdesk login --qr-png FILE to write the QR code as an image and scan it from an "
    "image viewer, or --qr-text FILE for its text and short code"
)


@dataclass
class Check:
    name: str
    ok: bool
    message: str
    message_en: str
    level: str = "ok"  # ok | info | warning | error | skipped
    fix: str | None = None
    fix_en: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Probe:
    """One GET of /api/v1/health, directly or through the configured proxies."""

    ok: bool
    error: str | None = None
    status: int | None = None
    body: dict[str, Any] | None = None
    date: str | None = None
    sent: dt.datetime | None = None
    received: dt.datetime | None = None


def probe(server: str, *, via_proxy: bool, timeout: float = 5.0) -> Probe:
    sent = dt.datetime.now(dt.UTC)
    try:
        with httpx.Client(trust_env=via_proxy, timeout=timeout) as client:
            response = client.get(f"{server}/api/v1/health")
    except httpx.HTTPError as exc:
        return Probe(ok=False, error=type(exc).__name__)
    received = dt.datetime.now(dt.UTC)
    try:
        body = response.json() if response.status_code == 200 else None
    except ValueError:
        body = None
    return Probe(
        ok=response.status_code == 200 and isinstance(body, dict),
        error=None if response.status_code == 200 else f"HTTP {response.status_code}",
        status=response.status_code,
        body=body if isinstance(body, dict) else None,
        date=response.headers.get("date"),
        sent=sent,
        received=received,
    )


def configured_proxies() -> dict[str, str]:
    """HTTP(S)_PROXY, ALL_PROXY and NO_PROXY from the environment, or on Windows and macOS
    from the system settings (``urllib.request.getproxies`` reads both)."""
    found = urllib.request.getproxies()
    return {k: v for k, v in found.items() if k in ("http", "https", "all", "no") and v}


# --- B3: proxy ----------------------------------------------------------------------------


def check_proxy(server: str, no_proxy: bool, direct: Probe | None, proxied: Probe | None) -> Check:
    proxies = configured_proxies()
    shown = {k: v for k, v in proxies.items() if k != "no"}
    details: dict[str, Any] = {"proxies": shown, "no_proxy": proxies.get("no")}
    if not shown:
        return Check(
            "proxy", True, "未设置网络代理", "No network proxy is configured", details=details
        )
    names = "、".join(f"{k}={v}" for k, v in shown.items())
    names_en = ", ".join(f"{k}={v}" for k, v in shown.items())
    if no_proxy:
        return Check(
            "proxy",
            True,
            f"已设置代理（{names}），本次按 --no-proxy 忽略",
            f"Proxies are set ({names_en}) and ignored (--no-proxy)",
            level="info",
            details=details,
        )
    assert direct is not None and proxied is not None
    details.update(direct=direct.ok, proxied=proxied.ok)
    host = urlsplit(server).hostname or server
    if proxied.ok:
        return Check(
            "proxy",
            True,
            f"已设置代理（{names}），经代理可以访问服务器",
            f"Proxies are set ({names_en}) and the server answers through them",
            level="info",
            details=details,
        )
    if direct.ok:
        return Check(
            "proxy",
            False,
            f"网络代理（{names}）阻断了到服务器 {server} 的连接，而直接连接正常：本地网络可以上网，"
            "但客户端提示网络连接错误就是这个原因",
            f"The proxy ({names_en}) blocks the connection to {server}, while a direct "
            "connection works: this is why the client reports network errors",
            level="error",
            fix=f"关闭网络代理（系统设置 → 网络 → 代理），或把 {host} 加入 NO_PROXY，"
            "或在命令后加 --no-proxy（或设置环境变量 PATENTDESK_NO_PROXY=1）",
            fix_en=f"Switch the proxy off (system settings → network → proxy), add {host} to "
            "NO_PROXY, or add --no-proxy to the command (or set PATENTDESK_NO_PROXY=1)",
            details=details,
        )
    return Check(
        "proxy",
        True,
        f"已设置代理（{names}）；直连和经代理都无法访问服务器，无法判断代理的影响",
        f"Proxies are set ({names_en}); the server answers neither directly nor through "
        "them, so the proxy's part cannot be told",
        level="warning",
        details=details,
    )


# --- B2: the configured base URL ----------------------------------------------------------


def _resolve(host: str, timeout: float = 5.0) -> list[str] | None:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(socket.getaddrinfo, host, None, 0, socket.SOCK_STREAM)
        infos = future.result(timeout=timeout)
    except (OSError, concurrent.futures.TimeoutError, UnicodeError):
        return None
    finally:
        pool.shutdown(wait=False)
    return sorted({str(info[4][0]) for info in infos})


def check_server_address(server: str, explicit: bool) -> Check:
    fix_zh = "把 PATENTDESK_SERVER 设为服务器的域名地址，例如 https://patentdesk.example.cn（向管理员索取）"
    fix_en = "Set PATENTDESK_SERVER to the server's domain address, e.g. https://patentdesk.example.cn (ask the operators)"
    parts = urlsplit(server)
    host = (parts.hostname or "").lower()
    details: dict[str, Any] = {"server": server, "configured": explicit}
    if parts.scheme not in ("http", "https") or not host:
        return Check(
            "server_address",
            False,
            f"服务器地址 {server} 不是有效的网址",
            f"The server address {server} is not a valid URL",
            level="error",
            fix=fix_zh,
            fix_en=fix_en,
            details=details,
        )
    try:
        ipaddress.ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    unset_zh = "" if explicit else "（未设置 PATENTDESK_SERVER，使用默认地址）"
    unset_en = "" if explicit else " (PATENTDESK_SERVER is not set; this is the default)"
    if is_ip:
        return Check(
            "server_address",
            False,
            f"服务器地址 {server} 使用了 IP 地址{unset_zh}：新地址使用域名访问，不涉及 IP 和端口",
            f"The server address {server} is an IP address{unset_en}: the service is reached "
            "by its domain name, with no IP addresses or ports",
            level="error",
            fix=fix_zh,
            fix_en=fix_en,
            details=details,
        )
    addresses = _resolve(host)
    details["addresses"] = addresses
    if not addresses:
        return Check(
            "server_address",
            False,
            f"域名 {host} 无法解析",
            f"The domain name {host} does not resolve",
            level="error",
            fix="检查域名拼写和本机 DNS 设置；在公司网络中请联系网络管理员",
            fix_en="Check the spelling of the domain and this computer's DNS settings; on a "
            "company network ask its administrators",
            details=details,
        )
    local = host in LOCAL_HOSTS or host.endswith(".localhost")
    port = parts.port
    if parts.scheme == "http" and not local:
        return Check(
            "server_address",
            False,
            f"服务器地址 {server} 没有使用 HTTPS，连接不受保护",
            f"The server address {server} does not use HTTPS; the connection is unprotected",
            level="error",
            fix=f"改为 https://{host}",
            fix_en=f"Use https://{host}",
            details=details,
        )
    if local:
        return Check(
            "server_address",
            True,
            f"{server} 是本机测试服务器（{parts.scheme}，端口 {port}）；正式环境使用 https 域名地址",
            f"{server} is a local test server ({parts.scheme}, port {port}); production uses an "
            "https domain address",
            level="warning",
            details=details,
        )
    if port not in (None, 443):
        return Check(
            "server_address",
            True,
            f"服务器地址使用了非标准端口 {port}；正式地址不涉及端口",
            f"The server address names port {port}; the official address needs no port",
            level="warning",
            fix=fix_zh,
            fix_en=fix_en,
            details=details,
        )
    return Check(
        "server_address",
        True,
        f"服务器地址 {server} 使用域名和 HTTPS",
        f"The server address {server} uses a domain name and HTTPS",
        details=details,
    )


def check_reachable(server: str, result: Probe) -> Check:
    if result.ok:
        env = (result.body or {}).get("environment")
        return Check(
            "server_reachable",
            True,
            f"服务器 {server} 正常响应（环境 {env}）",
            f"The server {server} answers (environment {env})",
            details={"environment": env, "version": (result.body or {}).get("version")},
        )
    return Check(
        "server_reachable",
        False,
        f"服务器 {server} 没有响应（{result.error}）",
        f"The server {server} does not answer ({result.error})",
        level="error",
        fix="检查网络连接和代理设置（见 proxy 检查）；如果其他网站能打开，请联系运维人员",
        fix_en="Check the network connection and proxy settings (see the proxy check); if "
        "other sites open, contact the operators",
        details={"error": result.error},
    )


# --- clock ---------------------------------------------------------------------------------


def server_clock(result: Probe) -> dt.datetime | None:
    text = (result.body or {}).get("server_time")
    if isinstance(text, str):
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    if result.date:
        try:
            return parsedate_to_datetime(result.date)
        except (TypeError, ValueError):
            return None
    return None


def check_clock(result: Probe) -> Check:
    server_time = server_clock(result) if result.ok else None
    if server_time is None or result.sent is None or result.received is None:
        return Check(
            "clock",
            True,
            "无法取得服务器时间，未检查时钟",
            "Could not read the server's time; clock not checked",
            level="skipped",
        )
    local = result.sent + (result.received - result.sent) / 2
    return evaluate_skew(local - server_time)


def evaluate_skew(skew: dt.timedelta) -> Check:
    """``skew`` = local clock minus server clock."""
    seconds = round(skew.total_seconds())
    details = {"skew_seconds": seconds}
    ahead = "快" if seconds > 0 else "慢"
    ahead_en = "ahead of" if seconds > 0 else "behind"
    if abs(skew) <= SKEW_WARN:
        return Check(
            "clock",
            True,
            f"本机时间与服务器相差 {abs(seconds)} 秒",
            f"This computer's clock is within {abs(seconds)} s of the server's",
            details=details,
        )
    fix = (
        "同步系统时间（Windows：设置 → 时间和语言 → 立即同步；Linux：timedatectl set-ntp true）："
        "时间不准会使登录二维码、证书和签名校验失败，并使更新元数据被判为过期"
    )
    fix_en = (
        "Synchronise the system clock (Windows: Settings → Time & language → Sync now; "
        "Linux: timedatectl set-ntp true): a wrong clock makes QR logins, certificates, "
        "signatures and update metadata fail"
    )
    failed = abs(skew) > SKEW_FAIL
    return Check(
        "clock",
        not failed,
        f"本机时间比服务器{ahead} {abs(seconds)} 秒",
        f"This computer's clock is {abs(seconds)} s {ahead_en} the server's",
        level="error" if failed else "warning",
        fix=fix,
        fix_en=fix_en,
        details=details,
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
    problems = inst.verify()
    details = {"version": version, "folder": str(inst.current_dir()), "problems": problems}
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


# --- all together --------------------------------------------------------------------------


def run_checks(
    home: Path, server: str, *, explicit_server: bool, no_proxy: bool
) -> list[dict[str, Any]]:
    """Runs every check; network probes run in parallel to keep doctor quick."""
    needs_compare = bool({k for k in configured_proxies() if k != "no"}) and not no_proxy
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        direct_f = pool.submit(probe, server, via_proxy=False)
        proxied_f = pool.submit(probe, server, via_proxy=True) if needs_compare else None
        address = check_server_address(server, explicit_server)
        direct = direct_f.result()
        proxied = proxied_f.result() if proxied_f else None
    effective = direct if (no_proxy or proxied is None) else proxied
    checks = [
        check_proxy(server, no_proxy, direct, proxied),
        address,
        check_reachable(server, effective),
        check_clock(effective),
        check_install(home),
        check_terminal(server),
        check_session(home, server, effective),
        check_certificates(home),
    ]
    return [asdict(c) for c in checks]
