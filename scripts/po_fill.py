"""Fill Chinese translations into translations/zh/LC_MESSAGES/messages.po from a Python dict file.

Usage: python scripts/po_fill.py FILE.py  (FILE.py defines ``T = {msgid: msgstr}``). Existing
translations are kept unless the dict gives a new one. Run ``scripts/i18n compile`` afterwards.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "translations/zh/LC_MESSAGES/messages.po"


def main(path: str) -> int:
    table = runpy.run_path(path)["T"]
    with open(PO, "rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for message in catalog:
        if message.id and message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
            filled += 1
    with open(PO, "wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
    print(f"filled {filled} of {len(table)} given translations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
