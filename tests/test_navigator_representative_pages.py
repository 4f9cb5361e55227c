"""Letters signed as the patient's representative, on the pages (AppTest): the admin sets the
organisation's address and phone for letters; on the case page a navigator chooses who signs,
and the letters list says who signs each letter."""

from __future__ import annotations

from pathlib import Path

import pytest
from navigator_helpers import first_org
from streamlit.testing.v1 import AppTest

from navigator import representative
from navigator.store import Store
from secondlook.safe_text import shown

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DETAIL = "app_pages/nav_case_detail.py"
ADMIN = "app_pages/nav_admin.py"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    db_path = tmp_path / "var" / "secondlook.db"
    monkeypatch.setenv("SECONDLOOK_DB_PATH", str(db_path))
    s = Store.open(f"sqlite:///{db_path}")
    yield s
    s.close()


def app(page: str, actor, **query) -> AppTest:  # noqa: ANN001
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["nav_actor"] = actor  # the gate's bypass for tests
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
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
