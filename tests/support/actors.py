"""A desktop client and a phone, each its own CLI process and state folder, against a live
server: the way a script runs both sides of QR login and signing (SPEC §10)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patentdesk.identity.idnumbers import normalise_mobile
from tests.support.cli import Result, cli_env, run_cli
from tests.support.factories import (
    PASSWORD,
    data_dir_of,
    last_sms_code,
    unique_phone,
    valid_id_number,
)


@dataclass
class Phone:
    home: Path
    server: str
    phone: str = ""
    name: str = ""
    user_id: str = ""

    def env(self) -> dict[str, str]:
        return cli_env(home=self.home, server=self.server)

    def run(self, *args: str, input: str | None = None, sms: bool = True) -> Result:
        """``patentdesk mobile …``. ``register`` and ``login`` prove the phone by SMS: when
        the command answers ``SMS_CODE_REQUIRED`` it runs again with the code the server
        sent (``sms=False`` returns the first answer as it is)."""
        result = run_cli("mobile", *args, "--json", env=self.env(), input=input)
        if not sms or args[:1] not in (("register",), ("login",)) or "--sms-code" in args:
            return result
        if result.returncode != 2 or result.error.get("code") != "SMS_CODE_REQUIRED":
            return result
        number = args[list(args).index("--phone") + 1]
        server = args[list(args).index("--server") + 1] if "--server" in args else self.server
        code = last_sms_code(data_dir_of(server), normalise_mobile(number))
        return run_cli("mobile", *args, "--sms-code", code, "--json", env=self.env(), input=input)

    def register(self, name: str = "张三", phone: str | None = None) -> dict[str, Any]:
        self.phone = phone or unique_phone()
        self.name = name
        r = self.run(
            "register",
            "--phone",
            self.phone,
            "--name",
            name,
            "--id-number",
            valid_id_number(),
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        assert r.returncode == 0, r.stderr
        self.user_id = r.json["user_id"]
        return dict(r.json)

    def scan(self, payload: str, approve: bool = True) -> Result:
        return self.run("scan", payload, "--approve" if approve else "--deny")


class PendingLogin:
    def __init__(self, proc: subprocess.Popen[str], qr_file: Path) -> None:
        self.proc = proc
        self.qr_file = qr_file

    def payload(self, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.qr_file.exists() and self.qr_file.read_text():
                return self.qr_file.read_text().strip()
            if self.proc.poll() is not None:
                raise AssertionError(f"desktop exited early: {self.proc.communicate()}")
            time.sleep(0.05)
        raise AssertionError("no QR payload written")

    def result(self, timeout: float = 30) -> Result:
        out, err = self.proc.communicate(timeout=timeout)
        return Result(self.proc.returncode, out, err)


@dataclass
class Desktop:
    home: Path
    server: str

    def env(self) -> dict[str, str]:
        return cli_env(home=self.home, server=self.server)

    def run(self, *args: str, input: str | None = None, timeout: float = 60) -> Result:
        return run_cli(*args, env=self.env(), input=input, timeout=timeout)

    def start(self, *args: str, qr_name: str = "qr.txt") -> PendingLogin:
        """Runs a command that shows a QR code (login or sign) in the background."""
        qr_file = self.home / qr_name
        qr_file.unlink(missing_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            [sys.executable, "-m", "patentdesk", *args, "--qr-text", str(qr_file), "--json"],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return PendingLogin(proc, qr_file)

    def login_with(self, phone: Phone, role: str | None = None) -> dict[str, Any]:
        args = ["login", "--timeout", "30"] + (["--as", role] if role else [])
        pending = self.start(*args)
        scanned = phone.scan(pending.payload())
        assert scanned.returncode == 0, scanned.stderr
        result = pending.result()
        assert result.returncode == 0, result.stderr
        return dict(result.json)

    def session(self) -> dict[str, Any]:
        return dict(json.loads((self.home / "session.json").read_text()))
