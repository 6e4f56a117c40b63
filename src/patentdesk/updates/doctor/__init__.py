"""``patentdesk doctor``: what the seed's users diagnosed by hand, checked and explained.

Each check says, in Chinese and English, what it found and how to fix it: a proxy in
the way (B3), a server address that is not a domain name or does not answer (B2),
installed files quarantined by antivirus software (B4), a terminal that cannot draw the
login QR code (A12), clock skew, and the state of the login session and certificates.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import asdict
from pathlib import Path
from typing import Any

from patentdesk.updates.doctor.base import Check, Probe
from patentdesk.updates.doctor.local import (
    check_certificates,
    check_install,
    check_session,
    check_terminal,
)
from patentdesk.updates.doctor.network import (
    check_clock,
    check_proxy,
    check_reachable,
    check_server_address,
    configured_proxies,
    probe,
)

__all__ = ["Check", "Probe", "run_checks"]


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
