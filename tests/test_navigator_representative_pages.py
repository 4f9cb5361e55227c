"""Letters signed as the patient's representative, on the pages (AppTest): the admin sets the
organisation's address and phone for letters; on the case page a navigator chooses who signs,
and the letters list says who signs each letter."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from navigator_helpers import PATIENT, first_org, navigator, zelda_case
from streamlit.testing.v1 import AppTest

from navigator import cases, letter_store, representative
from secondlook.safe_text import shown

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DETAIL = "app_pages/nav_case_detail.py"
ADMIN = "app_pages/nav_admin.py"


@pytest.fixture
def store(app_store):
    return app_store


def app(page: str, actor, **query) -> AppTest:  # noqa: ANN001
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["nav_actor"] = actor  # the gate's bypass for tests
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def tab(at: AppTest, name: str) -> AppTest:
    """Open a tab of the case page: only the open tab is drawn."""
    at.session_state["nav_case_tab"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [t.value for t in at.title] + [m.value for m in at.markdown]
    parts += [c.value for c in at.caption] + [s.value for s in at.subheader]
    for kind in (at.success, at.warning, at.info, at.error):
        parts += [a.value for a in kind]
    return shown("\n".join(parts))


def submit(at: AppTest, form: str, label: str) -> AppTest:
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not at.exception, at.exception
    return at


def test_the_admin_sets_the_address_and_phone_on_representative_letters(store):
    admin = first_org(store)
    at = app(ADMIN, admin)
    area = next(a for a in at.text_area if a.label.startswith("Organisation's postal address"))
    area.input("500 River Rd\nKirkwood, MO 63122")
    phone = next(t for t in at.text_input if t.label == "Organisation's phone for letters")
    phone.input("(314) 555-0100")
    submit(at, "nav_org_letter_contact", "Save letter address")
    assert representative.letter_contact(store, admin) == representative.LetterContact(
        ("500 River Rd", "Kirkwood, MO 63122"), "(314) 555-0100"
    )
    # too long: the field is named, nothing is saved
    phone = next(t for t in at.text_input if t.label == "Organisation's phone for letters")
    phone.input("1" * 41)
    submit(at, "nav_org_letter_contact", "Save letter address")
    assert "Organisation's phone for letters**: at most 40 characters" in texts(at)
    assert "Please correct" in texts(at)
    assert representative.letter_contact(store, admin).phone == "(314) 555-0100"


def test_a_navigator_signs_a_letter_for_the_patient_from_the_case_page(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    created = cases.create_case(store, nina, zelda_case())
    at = tab(app(DETAIL, nina, case=str(created.id)), "Letters")
    # nowhere for the plan to answer yet: the page says what to do, no form to download
    assert "an admin adds the organisation's address or phone for letters" in texts(at)
    assert not [b for b in at.get("download_button") if "Authorization form" in str(b.proto)]
    representative.set_letter_contact(store, admin, "500 River Rd\nKirkwood, MO 63122", "")
    at = tab(app(DETAIL, nina, case=str(created.id)), "Letters")
    signed = next(r for r in at.radio if r.label == "Signed by")
    assert signed.options == [
        "the patient",
        "me as authorised representative (Riverside Cancer Center)",
    ]
    assert signed.value == "patient"
    submit(at, "nav_letter", "Generate letter")  # her own appeal
    signed = next(r for r in at.radio if r.label == "Signed by")
    signed.set_value("representative")
    submit(at, "nav_letter", "Generate letter")
    assert "Letter generated and stored with the case." in texts(at)
    stored = cases.open_case(store, nina, created.id, record_view=False).letters
    assert [(x.letter_type, x.voice) for x in stored] == [
        ("appeal", "patient"),
        ("appeal", "representative"),
    ]
    shown = texts(at)
    assert "Signed by Nina Navigator, as the patient's authorised representative" in shown
    assert "Signed by the patient" in shown
    _, data = letter_store.letter_content(store, nina, created.id, stored[1].id)
    lines = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs if p.text]
    assert lines[:2] == ["Nina Navigator", "Riverside Cancer Center"]
    assert f"Authorized representative of {PATIENT}" in lines
    assert any("Authorization form" in str(b.proto) for b in at.get("download_button"))
    # the physician's letter is the physician's: refused in words, nothing stored
    next(s for s in at.selectbox if s.label == "Letter").set_value("physician_letter")
    submit(at, "nav_letter", "Generate letter")
    assert "the physician's letter is signed by the physician" in texts(at)
    assert len(cases.open_case(store, nina, created.id, record_view=False).letters) == 2
