"""PATENTDESK_SMTP_URL: the forms operators write, and what a wrong one is told."""

from __future__ import annotations

import pytest

from patentdesk.alerts.mailer import SmtpUrlInvalid, parse_smtp_url
from patentdesk.alerts.service import threshold_for


@pytest.mark.parametrize(
    ("url", "host", "port", "security", "user", "password"),
    [
        ("smtp://relay.example.com", "relay.example.com", 25, "plain", None, None),
        (
            "smtp://u:p%40ss@mail.example.com:587?starttls=true",
            "mail.example.com",
            587,
            "starttls",
            "u",
            "p@ss",
        ),
        ("smtp://u:pw@mail.example.com?starttls=1", "mail.example.com", 587, "starttls", "u", "pw"),
        (
            "smtps://alerts%40example.com:pw@mail.example.com",
            "mail.example.com",
            465,
            "tls",
            "alerts@example.com",
            "pw",
        ),
        ("smtps://mail.example.com:2465", "mail.example.com", 2465, "tls", None, None),
    ],
)
def test_smtp_url_forms(url, host, port, security, user, password):
    target = parse_smtp_url(url)
    assert (target.host, target.port, target.security) == (host, port, security)
    assert (target.username, target.password) == (user, password)
    assert "pw" not in target.describe() and "ss" not in target.describe().split("@")[-1]


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://mail.example.com", "smtp://"),
        ("smtp://", "host"),
        ("smtp://mail.example.com:abc", "port"),
        ("smtp://mail.example.com?starttls=maybe", "starttls"),
        ("smtps://mail.example.com?starttls=true", "starttls"),
        ("smtp://mail.example.com?tls=true", "tls"),
        ("smtp://mail.example.com?timeout=0", "timeout"),
    ],
)
def test_a_wrong_smtp_url_is_named(url, named):
    with pytest.raises(SmtpUrlInvalid) as caught:
        parse_smtp_url(url)
    assert "PATENTDESK_SMTP_URL" in caught.value.zh and named in caught.value.en


@pytest.mark.parametrize(
    ("days_left", "threshold"),
    [(45, None), (31, None), (30, 30), (8, 30), (7, 7), (2, 7), (1, 1), (0, 1), (-1, None)],
)
def test_deadline_thresholds(days_left, threshold):
    assert threshold_for(days_left) == threshold
