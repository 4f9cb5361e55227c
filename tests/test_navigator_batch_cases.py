"""Letters from a batch run attached to the cases their rows name by reference: in the store
(SQLite and PostgreSQL) and on the Batch letters page."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from batch_support import good_row, write_rows
from navigator_helpers import first_org, second_org, zelda_case
from streamlit.testing.v1 import AppTest

import letters
from navigator import batch_cases, cases
from navigator.errors import NavigatorError
from navigator.store import Store
from navigator.tables import AuditEvent
from secondlook.batch import BatchOptions, run_batch

ROOT = Path(__file__).resolve().parent.parent


def batch_out(tmp_path: Path) -> Path:
    """A run of four rows: C000000 to C000003 (rows 2 to 5), one records request each."""
    source = write_rows(tmp_path / "in.csv", [good_row(n) for n in range(4)])
    out = tmp_path / "out"
    summary = run_batch(source, out, BatchOptions(letter="records_request", workers=1))
    assert summary.letters == 4
    return out


def test_letters_attach_to_the_cases_their_rows_name(store, tmp_path):
    admin = first_org(store)
    mine = {ref: cases.create_case(store, admin, zelda_case(case_id=ref)).id
            for ref in ("C000000", "C000002")}  # fmt: skip
    cases.create_case(store, second_org(store, admin), zelda_case(case_id="C000001"))
    out = batch_out(tmp_path)

    found = batch_cases.attachable(store, admin, out)
    assert {row: case_id for row, (case_id, _) in found.matched.items()} == {
        2: mine["C000000"], 4: mine["C000002"],
    }  # fmt: skip
    assert found.unmatched_rows == [3, 5]  # another organisation's reference, and none at all

    before = cases.open_case(store, admin, mine["C000000"], record_view=False).version
    done = batch_cases.attach(store, admin, out)
    assert (done.letters, done.cases, done.unmatched_rows) == (2, sorted(mine.values()), [3, 5])
    detail = cases.open_case(store, admin, mine["C000000"], record_view=False)
    [letter] = detail.letters
    assert letter.letter_type == "records_request"
    assert letter.template_version == letters.template_version("records_request")
    assert letter.voice == "patient"
    made = (out / "letters" / "C000000__records_request.docx").read_bytes()
    from navigator import letter_store

    assert letter_store.letter_content(store, admin, detail.id, letter.id)[1] == made
    assert detail.version == before + 1  # a colleague's open page sees the change
    with store.transaction() as s:
        details = s.scalars(
            sa.select(AuditEvent.detail).where(
                AuditEvent.action == "letter_generate", AuditEvent.object_id == detail.id
            )
        ).all()
    assert details == [
        f"letter #{letter.id} type=records_request template={letter.template_version} "
        "attached from batch row 2"
    ]
    # Attaching again keeps one copy.
    batch_cases.attach(store, admin, out)
    assert len(cases.open_case(store, admin, detail.id, record_view=False).letters) == 1


def test_a_changed_letter_file_attaches_nothing(store, tmp_path):
    admin = first_org(store)
    ids = [cases.create_case(store, admin, zelda_case(case_id=f"C00000{n}")).id for n in (0, 1)]
    out = batch_out(tmp_path)
    (out / "letters" / "C000001__records_request.docx").write_bytes(b"changed")
    with pytest.raises(NavigatorError, match="Row 3: a letter file changed since the run"):
        batch_cases.attach(store, admin, out)
    assert all(not cases.open_case(store, admin, i, record_view=False).letters for i in ids)


def test_the_batch_page_offers_to_attach_and_lists_the_rows_left_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    db_path = tmp_path / "var" / "secondlook.db"
    monkeypatch.setenv("SECONDLOOK_DB_PATH", str(db_path))
    monkeypatch.setenv("SECONDLOOK_WORK_DIR", str(tmp_path / "work"))
    store = Store.open(f"sqlite:///{db_path}")
    admin = first_org(store)
    case_id = cases.create_case(store, admin, zelda_case(case_id="C000001")).id
    rows = [good_row(n) for n in range(3)]

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["nav_actor"] = admin
    at.run()
    at.switch_page("app_pages/nav_batch.py").run()
    at.selectbox(key="nav_batch_letter").set_value("records_request").run()
    data = write_rows(tmp_path / "upload.csv", rows).read_bytes()
    at.file_uploader[0].upload("cases.csv", data, "text/csv").run()
    next(b for b in at.button if b.label == "Make the letters").click().run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Not attached (the reference names no case of your organisation): rows 2, 4." in captions
    next(b for b in at.button if b.label == "Attach these letters to their cases").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        "1 letter is kept with 1 case (each case's Letters tab)."
    ]
    page_text = " ".join(str(e.value) for e in [*at.caption, *at.success, *at.markdown])
    assert all(r["patient_name"] not in page_text for r in rows)
    [letter] = cases.open_case(store, admin, case_id, record_view=False).letters
    assert letter.letter_type == "records_request"
    store.close()
