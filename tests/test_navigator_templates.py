"""An organisation's letterhead and own templates in the navigator: admins upload (checked),
letters of that organisation's cases use them, other organisations do not, removal restores
the shipped templates."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from navigator_helpers import first_org, navigator, second_org, zelda_case
from test_letters_organisation import letterhead, own_appeal
from word_docs import RED

import letters
from letters import organisation
from navigator import cases, letter_store, org_templates
from navigator.errors import PermissionDenied
from navigator.store import Store
from navigator.tables import AuditEvent


@pytest.fixture
def no_libreoffice(monkeypatch):
    """The LibreOffice part of the check has its own (slow) test."""
    monkeypatch.setattr(organisation, "_opens_in_libreoffice", lambda docx, name: None)


def media(data: bytes) -> set[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {archive.read(n) for n in archive.namelist() if n.startswith("word/media/")}


def letter(store, actor, case_id: int, version: int, letter_type: str = "appeal"):  # noqa: ANN001, ANN201
    info = letter_store.generate_letter(
        store, actor, case_id, letter_type, expected_version=version
    )
    return info, letter_store.letter_content(store, actor, case_id, info.id)[1]


def test_letterhead_upload_is_used_for_the_organisations_letters(store, no_libreoffice):
    admin = first_org(store)
    nina = navigator(store, admin, "nina")
    created = cases.create_case(store, nina, zelda_case())
    head = letterhead()
    stored = org_templates.upload_template(store, admin, "letterhead", head)
    assert stored.kind == "letterhead" and stored.size > 0
    assert [t.kind for t in org_templates.list_templates(store, nina)] == ["letterhead"]

    info, data = letter(store, nina, created.id, created.version)
    assert RED in media(data)
    assert info.template_version.startswith(letters.template_version("appeal") + "+org-")

    lake = second_org(store, admin)  # another organisation: shipped letters, no letterhead
    other = cases.create_case(store, lake, zelda_case())
    info, data = letter(store, lake, other.id, other.version)
    assert info.template_version == letters.template_version("appeal") and RED not in media(data)

    org_templates.remove_template(store, admin, "letterhead")
    info, data = letter(store, nina, created.id, created.version)
    assert info.template_version == letters.template_version("appeal") and RED not in media(data)
    with store.transaction() as session:
        details = [e.detail for e in session.query(AuditEvent).filter(
            AuditEvent.action.in_(["template_upload", "template_remove"]))]  # fmt: skip
    digest = hashlib.sha256(head).hexdigest()[:12]
    assert details == [f"kind=letterhead sha256={digest}", "kind=letterhead"]


def test_own_template_for_one_letter_type(store, no_libreoffice):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    org_templates.upload_template(store, admin, "appeal", own_appeal())
    info, data = letter(store, admin, created.id, created.version)
    assert "+org-" in info.template_version
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"Dear" in archive.read("word/document.xml")


def test_only_admins_upload_and_bad_files_are_rejected_with_reasons(store, no_libreoffice):
    admin = first_org(store)
    nina = navigator(store, admin, "nina")
    with pytest.raises(PermissionDenied):
        org_templates.upload_template(store, nina, "letterhead", letterhead())
    with pytest.raises(org_templates.TemplateRejected) as caught:
        org_templates.upload_template(store, admin, "appeal", own_appeal("{{ favourite_colour }}"))
    assert caught.value.problems == [
        "unknown variable 'favourite_colour' in word/document.xml, paragraph “{{ favourite_colour }}”"
    ]
    with pytest.raises(org_templates.TemplateRejected, match="not a Word .docx"):
        org_templates.upload_template(store, admin, "letterhead", b"GIF89a")
    assert org_templates.list_templates(store, admin) == []


def test_admin_page_lists_and_removes_templates(tmp_path, monkeypatch, no_libreoffice):
    from test_navigator_pages import ADMIN, app, submit

    monkeypatch.delenv("DATABASE_URL", raising=False)
    db_path = tmp_path / "var" / "secondlook.db"
    monkeypatch.setenv("SECONDLOOK_DB_PATH", str(db_path))
    store = Store.open(f"sqlite:///{db_path}")
    try:
        admin = first_org(store)
        at = app(ADMIN, admin)
        assert any("None yet" in c.value for c in at.caption)
        org_templates.upload_template(store, admin, "letterhead", letterhead())
        at = app(ADMIN, admin)
        listed = at.dataframe[1].value  # users, then templates
        assert list(listed["Template"]) == ["Letterhead (logo and address on every letter)"]
        submit(at, "nav_template_remove", "Remove")
        assert any("Removed" in s.value for s in at.success)
        assert org_templates.list_templates(store, admin) == []
    finally:
        store.close()
