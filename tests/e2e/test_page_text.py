"""Every page a role can open reads in Chinese: sign in as each demo role, open each page of its
menu (and the first record of a few lists), and look for English UI words, ``None``/``True``/
``__None``, a 「UTC」 label, ISO ``T`` times and microseconds.

Bounded: at most ``PAGES_PER_ROLE`` pages per role. What may stay Latin is listed: proper names
and codes (Excel, IP, HMAC-SHA256, file types, login names, configuration keys, hashes, user
agents, e-mail addresses). FAB's role and permission pages are scanned too: they name
permissions and views by their Chinese labels (app/core/permission_labels.py).
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

# The province administrator last: the others open first the pages they share with it.
ROLES = [
    "county_coordinator",
    "unit_operator",
    "legal_reviewer",
    "licence_reviewer",
    "supervisor",
    "window_staff",
    "sys_admin",
    "security_admin",
    "audit_admin",
    "province_admin",
]
PAGES_PER_ROLE = 15
# The language switch and sign-out are actions, not pages.
SKIPPED = ("/lang/", "logout")
# Latin that is a proper name, a unit or a code, not an untranslated UI word.
ALLOWED = {
    "Excel",
    "English",  # the language menu names the language in itself
    "IP",
    "HMAC",
    "SHA",
    "PDF",
    "PNG",
    "JPEG",
    "JPG",
    "xls",
    "xlsx",
    "docx",
    "csv",
    "API",
    "JSON",
    "README",
    "HTTPS",
    "Cookie",
    "scrypt",
    "pbkdf",
    "sha",
    "PC",
    "APP",
    "DEMO",
    "chinese",  # the chinese-calendar package, named as the calendar's source of record
}
LOGINS = {
    "province_admin",
    "county_coordinator",
    "county_coordinator2",
    "unit_operator",
    "legal_reviewer",
    "licence_reviewer",
    "supervisor",
    "window_staff",
    "sys_admin",
    "security_admin",
    "audit_admin",
    "system",
    "huang_hai",
    "lin_xiao",
    "zhou_li",
    "chen_si",
}
TEXT_JS = """() => {
  const parts = [document.body.innerText];
  document.querySelectorAll('option').forEach(o => parts.push(o.textContent));
  document.querySelectorAll('[title], [placeholder]').forEach(e => {
    parts.push(e.getAttribute('title') || ''); parts.push(e.getAttribute('placeholder') || '');
  });
  return parts.join('\\n');
}"""
CODES = [
    re.compile(r"(?:Mozilla|curl)/\S+(?: \([^)]*\))?(?:[^\n\t]*)"),  # user agents
    re.compile(r"\S+@\S+"),  # e-mail addresses
    re.compile(r"https?://\S+"),
    re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"),  # configuration keys
    re.compile(r"\b[0-9a-fA-F]{16,}\b"),  # hashes
]
WORD = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z][A-Za-z']{2,}(?![A-Za-z0-9_\-])")
FORBIDDEN = re.compile(
    r"\bNone\b|\bTrue\b|\bFalse\b|__None|UTC|\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\d\.\d"
)


def _problems(text: str) -> list[str]:
    found = [m.group(0) for m in FORBIDDEN.finditer(text)]
    for code in CODES:
        text = code.sub(" ", text)
    for word in WORD.findall(text):
        if word not in ALLOWED and word not in LOGINS:
            found.append(word)
    return found


def _menu(page) -> list[str]:
    links = page.eval_on_selector_all(
        ".navbar a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    menu: list[str] = []
    for link in links:
        if link.startswith("/") and not any(s in link for s in SKIPPED) and link not in menu:
            menu.append(link)
    return menu


def test_every_page_of_every_role_reads_in_chinese(browser, live_server):
    """Each role opens first the menu pages no role before it opened (so that every menu page
    is opened by some role), then the first record and form of the lists it opened, then its other
    pages, up to the bound."""
    report: dict[str, list[str]] = {}
    opened: set[str] = set()
    menus: set[str] = set()
    for role in ROLES:
        context = browser.new_context(base_url=live_server, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login/")
        page.fill("input[name=username]", role)
        page.fill("input[name=password]", "Demo@e2e-2026")
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/login" not in page.url, role
        menu = ["/", "/users/userinfo/", *_menu(page)]
        menus.update(menu)
        fresh = [u for u in menu if u not in opened]
        details: list[str] = []
        again = [u for u in menu if u in opened]
        seen = 0
        while seen < PAGES_PER_ROLE and (fresh or details or again):
            url = (fresh or details or again).pop(0)
            page.goto(url)
            seen += 1
            opened.add(url)
            problems = _problems(page.evaluate(TEXT_JS))
            if problems:
                report[f"{role} {url}"] = sorted(set(problems))
            if "/list/" in url:  # its first record and form: they have their own words
                for kind in ("show", "edit"):
                    first = page.eval_on_selector_all(
                        f".table a[href*='/{kind}/']",
                        "els => els.map(e => e.getAttribute('href'))",
                    )
                    if first and first[0] not in opened and first[0] not in details:
                        details.append(first[0])
        context.close()
    lines = [f"{where}: {words}" for where, words in report.items()]
    if not menus <= opened:
        lines.append(f"menu pages no role opened: {sorted(menus - opened)}")
    assert not lines, "\n".join(lines)
