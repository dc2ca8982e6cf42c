"""Fail when a string marked for translation has no Simplified Chinese translation."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with open(ROOT / "translations/zh/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    for message_id in missing:
        print(f"untranslated: {message_id!r}")
    print(f"{len(catalog) - 1} messages, {len(missing)} without a Chinese translation")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
