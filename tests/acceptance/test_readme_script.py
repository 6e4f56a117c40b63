"""The README's first filing works as written: the script between its markers, pasted into
bash in the project's folder (as after `make run`), against a live server, on a machine with
nothing set up (an empty home folder), ends with a receipt."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def readme_script() -> str:
    text = README.read_text("utf-8")
    block = re.search(
        r"<!-- first-filing:begin -->\s*```sh\n(.*?)```\s*<!-- first-filing:end -->", text, re.S
    )
    assert block, "README.md lost its first-filing markers"
    return block.group(1)


def test_readme_starts_with_the_two_commands():
    lines = README.read_text("utf-8").splitlines()
    fence = lines.index("```sh")
    assert lines[fence + 1].startswith("make run ") and lines[fence + 2].startswith("make test ")
    assert lines[fence + 3] == "```"


def test_the_readme_first_filing_runs_as_written(live_server, settings, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATENTDESK_")}
    # A fresh machine: nothing in the home folder, no patentdesk on PATH but the project's.
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not (Path(p) / "patentdesk").exists()
    )
    env.update(
        HOME=str(home),
        PATENTDESK_SERVER=live_server.url,  # what `make run` serves, on this test's port
        PATENTDESK_DATA=str(settings.data),
        NO_COLOR="1",
        COLUMNS="120",
    )
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", readme_script()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = home / "patentdesk-first-filing"
    submitted = json.loads((work / "submitted.json").read_text("utf-8"))
    assert submitted["application_number"] and submitted["receipt_id"]
    assert submitted["business_type"] == "invention"
    assert (work / "receipt.pdf").read_bytes().startswith(b"%PDF")
    # Both "devices" kept their state where the script said.
    assert (home / ".pd-phone").is_dir() and (home / ".pd-desk").is_dir()


def test_the_last_sms_code_for_scripts(tmp_path):
    from tests.support.cli import cli_env, run_cli

    env = cli_env(data=tmp_path)
    r = run_cli("admin", "sms-outbox", "--last-code", "--json", env=env)
    assert r.returncode == 1 and r.error["code"] == "USAGE"
    r = run_cli("admin", "sms-outbox", "--phone", "13812345678", "--last-code", env=env)
    assert r.returncode == 1 and "SMS_CODE_NOT_FOUND" in r.stderr and "13812345678" in r.stderr
    outbox = tmp_path / "sms-outbox.jsonl"
    lines = [
        {"phone": "13812345678", "code": "111111", "text": "验证码 111111"},
        {"phone": "13900000000", "code": "222222", "text": "验证码 222222"},
        {"phone": "13812345678", "code": None, "text": "新设备绑定"},
    ]
    outbox.write_text("".join(json.dumps(m) + "\n" for m in lines), "utf-8")
    r = run_cli("admin", "sms-outbox", "--phone", "13812345678", "--last-code", env=env)
    assert r.returncode == 0 and r.stdout == "111111\n"
