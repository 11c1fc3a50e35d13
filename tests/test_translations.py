"""The English translation is complete and is what an English-speaking user sees.

The catalogue must compile with ``msgfmt --check`` (what ``compilemessages`` runs), every entry
must be translated and none left fuzzy. The screens are rendered in English from a catalogue
compiled for the test (the repository does not keep ``.mo`` files), and must show no Chinese
outside data: names of banks and enterprises, citations of documents such as
京技管发〔2025〕12号, and the language switcher's own "简体中文".
"""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from riskcomp.context_processors import NAV
from riskcomp.policy.reasons import reason
from riskcomp.policy.types import ReasonCode, Scheme

from .conftest import client_for
from .factories import (
    BankFactory,
    ClaimFactory,
    EnterpriseFactory,
    FilingFactory,
    UserFactory,
    officer_for,
)

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"

# Han characters and the CJK / full-width punctuation that would look out of place in English
# (the ideographic space U+3000 is only spacing and passes).
CJK = re.compile(
    r"[\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65]")
# A document citation is data: 京技管发〔2025〕12号, 财金〔2024〕60号.
CITATION = re.compile(r"[\u4e00-\u9fff]*〔\d{4}〕\d+号")
LANGUAGE_NAMES = ("简体中文",)


def _msgfmt() -> str:
    path = shutil.which("msgfmt")
    assert path, "msgfmt (GNU gettext) is needed to compile the translations"
    return path


def _po_entries(text: str) -> list[dict[str, Any]]:
    """The entries of a .po file: flags, msgid (and plural) and msgstr values, header left out."""
    entries: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [ln for ln in block.splitlines() if not ln.startswith("#~")]
        if not lines:
            continue
        entry: dict[str, Any] = {"flags": set(), "msgstr": []}
        key = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] = {f.strip() for f in line[2:].split(",")}
                continue
            if line.startswith("#"):
                continue
            m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if m:
                key, value = m.group(1), m.group(2)
                if key.startswith("msgstr"):
                    entry["msgstr"].append(value)
                else:
                    entry[key] = value
            elif line.startswith('"') and key is not None:
                value = line[1:-1]
                if key.startswith("msgstr"):
                    entry["msgstr"][-1] += value  # type: ignore[index]
                else:
                    entry[key] = str(entry[key]) + value
        if "msgid" in entry and entry["msgid"] != "":
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def compiled_locale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("locale")
    target = root / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    done = subprocess.run(  # noqa: S603 - fixed arguments, our own file
        [_msgfmt(), "--check", "--statistics", "-o", str(target / "django.mo"), str(PO)],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def english(compiled_locale: Path, settings):  # type: ignore[no-untyped-def]
    """Serve the catalogue compiled from the .po under test (the setting change resets
    Django's translation caches)."""
    settings.LOCALE_PATHS = [compiled_locale]
    return compiled_locale


def test_catalogue_compiles_with_msgfmt_check(compiled_locale: Path) -> None:
    assert (compiled_locale / "en" / "LC_MESSAGES" / "django.mo").stat().st_size > 0


def test_statistics_report_only_translated_messages() -> None:
    done = subprocess.run(  # noqa: S603 - fixed arguments, our own file
        [_msgfmt(), "--check", "--statistics", "-o", "/dev/null", str(PO)],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "fuzzy" not in done.stderr and "untranslated" not in done.stderr, done.stderr


def test_every_message_has_a_translation_and_none_is_fuzzy() -> None:
    entries = _po_entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 1000  # the catalogue was read, not an empty file
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]  # type: ignore[operator]
    empty = [e["msgid"] for e in entries if not all(e["msgstr"])]  # type: ignore[arg-type]
    assert not fuzzy, f"fuzzy entries: {fuzzy[:10]}"
    assert not empty, f"untranslated entries: {empty[:10]}"


def test_plural_entries_have_both_english_forms() -> None:
    plurals = [e for e in _po_entries(PO.read_text(encoding="utf-8")) if "msgid_plural" in e]
    assert plurals
    assert all(len(e["msgstr"]) == 2 for e in plurals), [  # type: ignore[arg-type]
        e["msgid"] for e in plurals if len(e["msgstr"]) != 2]  # type: ignore[arg-type]


def test_translations_contain_no_chinese() -> None:
    # A quoted term stays Chinese on purpose: a value the user types into the Chinese import
    # workbook (“是”), or the name of one of its sheets.
    quoted = re.compile(r"“[^”]*”")
    leftovers = [(e["msgid"], s) for e in _po_entries(PO.read_text(encoding="utf-8"))
                 for s in e["msgstr"]  # type: ignore[attr-defined]
                 if CJK.search(CITATION.sub("", quoted.sub("", s)))]
    assert not leftovers, leftovers[:10]


def test_policy_reasons_marked_with_the_noop_alias_are_translated(english) -> None:  # type: ignore[no-untyped-def]
    # The reason templates are marked with N_ (gettext_noop), which makemessages finds only
    # when told the keyword; an untranslated one would show Chinese in an English refusal.
    shown = []
    with translation.override("en"):
        for code in ReasonCode:
            for scheme in (None, *Scheme):
                try:
                    shown.append(str(reason(code, scheme).message))
                except ValueError:  # this code has no plain sentence for this scheme
                    continue
    assert len(shown) >= len(ReasonCode)
    assert not [s for s in shown if CJK.search(CITATION.sub("", s))]


def _chinese_outside_data(html: str, data: tuple[str, ...]) -> list[str]:
    text = html
    for value in sorted((*data, *LANGUAGE_NAMES), key=len, reverse=True):
        if value:
            text = text.replace(value, "")
    text = CITATION.sub("", text)
    found = []
    for m in CJK.finditer(text):
        start = max(0, m.start() - 30)
        found.append(re.sub(r"\s+", " ", text[start:m.end() + 30]))
    return found


@pytest.fixture
def english_world(db, english):  # type: ignore[no-untyped-def]
    """One user per role, a bank with a filing and a claim, named in English so that any Chinese
    left on a page is interface text."""
    bank = BankFactory(name="Example Bank BDA Branch", short_name="Example Bank")
    enterprise = EnterpriseFactory(name="Yizhuang Example Technology Co., Ltd.")
    officer = officer_for(bank, "officer_en")
    filing = FilingFactory(bank=bank, enterprise=enterprise, filed_by=officer)
    claim = ClaimFactory(filing=filing, created_by=officer)
    users = {
        Role.BANK_OFFICER: officer,
        Role.REVIEWER: UserFactory(username="reviewer_en", role=Role.REVIEWER.value),
        Role.APPROVER: UserFactory(username="approver_en", role=Role.APPROVER.value),
        Role.AUDITOR: UserFactory(username="auditor_en", role=Role.AUDITOR.value),
        Role.ADMIN: UserFactory(username="root_en", is_superuser=True, is_staff=True),
    }
    # A claim's number is its identifier, written once in the portal's language like a
    # document number (小微补偿-2026-0001): data, whatever the reader's language.
    data = (bank.name, bank.short_name, enterprise.name, filing.policy_version, claim.number)
    return users, data, {"filing": filing, "claim": claim}


def _stored_audit_texts() -> tuple[str, ...]:
    """What the audit trail stored when the records were written (in the language active then):
    the record names, the old and new values and the reasons. The audit screen shows them as
    recorded, so they are data there. Permission names are rows too (a granted object
    permission is named by them)."""
    texts: list[str] = list(Permission.objects.values_list("name", flat=True))

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    for entry in LogEntry.objects.all():
        walk(entry.object_repr)
        walk(entry.changes if isinstance(entry.changes, dict) else entry.changes_dict)
        walk(entry.additional_data)
    return tuple(texts)


def _in_english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_set_language_view_switches_the_login_page_to_english(english) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    page = client.get(reverse("login"))
    html = page.content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html or "Login" in html
    assert _chinese_outside_data(html, ()) == []


def test_chinese_stays_the_default_language(english_world) -> None:  # type: ignore[no-untyped-def]
    users, _data, _records = english_world
    html = client_for(users[Role.REVIEWER]).get(reverse("home")).content.decode()
    assert '<html lang="zh-CN">' in html
    assert "托管机构工作台" in html


NAV_SCREENS = [(role, name) for name, _label, roles in NAV for role in Role if role in roles]


@pytest.mark.parametrize(("role", "url_name"), NAV_SCREENS,
                         ids=[f"{r.value}-{n}" for r, n in NAV_SCREENS])
def test_every_navigation_screen_is_english(english_world, role: Role, url_name: str) -> None:  # type: ignore[no-untyped-def]
    users, data, _records = english_world
    response = _in_english(client_for(users[role])).get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    if url_name == "audit:search":
        data = (*data, *_stored_audit_texts())
    found = _chinese_outside_data(html, data)
    assert not found, found


def test_filing_list_headers_are_english(english_world) -> None:  # type: ignore[no-untyped-def]
    users, _data, _records = english_world
    html = _in_english(client_for(users[Role.BANK_OFFICER])).get(
        reverse("loans:filing_list")).content.decode()
    heads = re.findall(r"<th[^>]*>(.*?)</th>", html, flags=re.S)
    assert heads
    assert "IOU no." in html
    assert not [h for h in heads if CJK.search(h)]
    assert "Yizhuang Example Technology Co., Ltd." in html  # data is shown as entered


@pytest.mark.parametrize(("role", "url_name", "obj"), [
    (Role.BANK_OFFICER, "loans:filing_detail", "filing"),
    (Role.BANK_OFFICER, "claims:claim_detail", "claim"),
    (Role.REVIEWER, "claims:claim_detail", "claim"),
    (Role.REVIEWER, "claims:review", "claim"),
])
def test_record_screens_are_english(english_world, role: Role, url_name: str, obj: str) -> None:  # type: ignore[no-untyped-def]
    users, data, records = english_world
    response = _in_english(client_for(users[role])).get(reverse(url_name, args=[records[obj].pk]))
    assert response.status_code == 200
    found = _chinese_outside_data(response.content.decode(), data)
    assert not found, found
