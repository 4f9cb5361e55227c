"""The navigator's batch page under AppTest: upload, check with per-row errors, make the letters,
re-run after fixing, start over. (Downloaded bytes are tested below the UI, in test_batch_run.)"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from batch_support import acceptance_rows, write_rows
from navigator_helpers import first_org
from streamlit.testing.v1 import AppTest

from navigator import auth
from secondlook.batch import read_manifest
from secondlook.safe_text import shown

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "app_pages/nav_batch.py"


@pytest.fixture
def store(app_store, tmp_path, monkeypatch):
    monkeypatch.setenv("SECONDLOOK_WORK_DIR", str(tmp_path / "work"))  # the page's work folders
    return app_store


def open_page(actor) -> AppTest:  # noqa: ANN001
    at = AppTest.from_file(APP, default_timeout=120)
    if actor is not None:
        at.session_state["nav_actor"] = actor
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def csv_bytes(tmp_path: Path, rows: list[dict]) -> bytes:
    return write_rows(tmp_path / "upload.csv", rows).read_bytes()


def test_the_page_is_behind_the_navigator_sign_in(store):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # a visitor: the navigator pages are not in the app at all
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_upload_check_make_fix_and_start_over(store, tmp_path):
    admin = first_org(store)
    at = open_page(admin)
    assert at.title[0].value == "Batch letters"
    assert "Upload a spreadsheet" in at.info[0].value

    rows, broken = acceptance_rows(40, broken_every=20)
    at.selectbox(key="nav_batch_letter").set_value("records_request").run()
    at.file_uploader[0].upload("cases.csv", csv_bytes(tmp_path, rows), "text/csv").run()
    assert not at.exception, at.exception

    click(at, "Check every row")
    assert metrics(at) == {"Rows": "40", "Ready": "38", "With errors": "2"}
    problems = at.dataframe[-1].value
    assert sorted(problems["Row"].astype(int)) == sorted(broken)
    for number, (column, _) in broken.items():
        text = problems[problems["Row"] == str(number)]["Problem"].iloc[0]
        assert text.startswith(f"column {column}: ")
    for row in rows:  # member data never shown in the error table
        assert row["patient_name"] not in problems.to_string()

    click(at, "Make the letters")
    assert metrics(at) == {"Rows": "40", "Letters made": "38", "Rows with errors": "2"}
    work = Path(at.session_state["nav_batch_dir"])
    manifest = read_manifest(work / "out" / "manifest.csv")
    assert len(manifest) == 40
    with zipfile.ZipFile(work / "out" / "letters.zip") as archive:
        assert len([n for n in archive.namelist() if n.endswith(".docx")]) == 38
    downloads = [b.label for b in at.get("download_button")]
    assert "Download the letters (.zip)" in downloads
    assert "Download the manifest (.csv)" in downloads

    events = [e for e in auth.audit_log(store, admin) if e.action == "letter_generate"]
    assert [e.detail for e in events] == [
        "batch: 40 rows, 38 ok, 2 errors, 38 letters (records_request)"
    ]

    # Fix the two rows and upload again: only they are made, the rest are reused.
    fixed = [dict(r) for r in rows]
    fixed[10]["patient_dob"] = "1960-01-01"
    fixed[30]["plan"] = "original-medicare"
    at.file_uploader[0].set_value(("cases.csv", csv_bytes(tmp_path, fixed), "text/csv")).run()
    click(at, "Make the letters")
    assert metrics(at) == {"Rows": "40", "Letters made": "40", "Rows with errors": "0"}
    captions = " ".join(c.value for c in at.caption)
    assert "38 rows were already done" in captions

    assert work.parent == tmp_path / "work"
    click(at, "Start a new batch")
    assert not work.exists()
    assert "nav_batch_dir" not in at.session_state


def test_a_file_with_a_bad_header_is_explained(store, tmp_path):
    at = open_page(first_org(store))
    at.file_uploader[0].upload("cases.csv", b"case_id,patinet_name\nA,B\n", "text/csv").run()
    click(at, "Check every row")
    assert "unknown column (did you mean patient_name?)" in shown(at.error[0].value)


def test_the_templates_are_offered_and_valid():
    from secondlook.batch.template import template_csv_bytes, template_xlsx_bytes

    assert template_csv_bytes().decode("utf-8-sig").startswith("case_id,plan,")
    with zipfile.ZipFile(io.BytesIO(template_xlsx_bytes())) as archive:
        assert "xl/worksheets/sheet1.xml" in archive.namelist()
