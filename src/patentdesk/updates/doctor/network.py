"""Checks that talk to the server: proxy (B3), address (B2), reachability, clock."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import ipaddress
import socket
import urllib.request
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from patentdesk.updates.doctor.base import Check, Probe

LOCAL_HOSTS = {"localhost", "localhost.localdomain"}
SKEW_WARN = dt.timedelta(seconds=60)
SKEW_FAIL = dt.timedelta(minutes=5)


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
    if proxied.ok and urllib.request.proxy_bypass(host):
        return Check(
            "proxy",
            True,
            f"已设置代理（{names}），但 {host} 在 NO_PROXY 中，直接连接服务器",
            f"Proxies are set ({names_en}) but {host} is in NO_PROXY: the server is reached directly",
            level="info",
            details=details,
        )
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
        loopback = ipaddress.ip_address(host).is_loopback
        is_ip = True
    except ValueError:
        is_ip = loopback = False
    unset_zh = "" if explicit else "（未设置 PATENTDESK_SERVER，使用默认地址）"
    unset_en = "" if explicit else " (PATENTDESK_SERVER is not set; this is the default)"
    if loopback:
        # The local set-up (make run, the README) talks to a server on this computer: fine
        # for trying things out, named as such, and no reason to fail.
        return Check(
            "server_address",
            True,
            f"{server} 是本机测试服务器{unset_zh}；正式环境的新地址使用域名访问，不涉及 IP 和端口",
            f"{server} is a test server on this computer{unset_en}; in production the service "
            "is reached by its domain name, with no IP addresses or ports",
            level="warning",
            fix=fix_zh,
            fix_en=fix_en,
            details=details,
        )
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
