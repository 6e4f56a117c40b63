"""A throw-away SoftHSM2 token per test session: a real PKCS#11 implementation.

SoftHSM reads ``SOFTHSM2_CONF`` when the library is first loaded in a process (and
python-pkcs11 loads one library per process), so the token is made once per session in a
temporary folder; tests keep their keys apart by environment (key labels name it).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
_environments = itertools.count()


@dataclass(frozen=True)
class Hsm:
    module: str
    label: str
    pin: str
    conf: Path

    def env(self) -> dict[str, str]:
        """What a server process needs to use the token."""
        return {
            "SOFTHSM2_CONF": str(self.conf),
            "PATENTDESK_PKCS11_MODULE": self.module,
            "PATENTDESK_PKCS11_TOKEN_LABEL": self.label,
            "PATENTDESK_PKCS11_PIN": self.pin,
        }


def new_environment() -> str:
    """An environment id no other test of the session uses (its own keys in the token)."""
    return f"hsm{os.getpid()}x{next(_environments)}"


@pytest.fixture(scope="session")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hsm]:
    module = next((m for m in MODULE_CANDIDATES if Path(m).exists()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 is not installed (make test installs softhsm2): token tests skipped")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    token = Hsm(module=module, label="patentdesk-test", pin="246810", conf=conf)
    subprocess.run(
        [
            "softhsm2-util", "--init-token", "--free", "--label", token.label,
            "--pin", token.pin, "--so-pin", "13579111",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    yield token
