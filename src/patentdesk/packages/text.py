"""What characters a name may hold: one rule for people's names, organisations' and
branches' names and the parties of a case package, on the server and in the offline client.

Names reach certificates, receipts, notices and the office's worklist, so a character that
hides or reorders text (U+202E RIGHT-TO-LEFT OVERRIDE makes «张三» read differently), a
zero-width one that makes two different names look equal, or a control character (NUL,
BEL) that truncates or rings is refused rather than cleaned: the person sees which one.
"""

from __future__ import annotations

import unicodedata

# The subject CN of a certificate holds at most 64 bytes of UTF-8 (RFC 5280's upper bound
# as cryptography enforces it): 21 Chinese characters. A person's name must fit, or the
# person could register and never sign.
NAME_MAX_BYTES = 64
NAME_MAX_CHARS = 50

# Cc control, Cf format (bidi controls, zero-width characters, BOM, soft hyphen), Cs lone
# surrogates, Co private use, Cn unassigned, Zl/Zp line and paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def forbidden_character(value: str) -> str | None:
    """The first character a name must not hold, as ``U+XXXX`` (with its Unicode name when
    it has one), or None when every character is allowed."""
    for ch in value:
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            label = f"U+{ord(ch):04X}"
            name = unicodedata.name(ch, "")
            return f"{label} {name}" if name else label
    return None


def fits_certificate(value: str) -> bool:
    return len(value.encode("utf-8")) <= NAME_MAX_BYTES
