"""A stored letter as PDF, on the navigator's click (navigator.letter_pdf and the case page's
PDF and Print buttons): the PDF is the stored letter (its text, extracted with pdftotext), the
download is logged, and a server without a working LibreOffice says so plainly."""

from __future__ import annotations

import subprocess

import pytest
from navigator_helpers import PATIENT, first_org, zelda_case
from streamlit.testing.v1 import AppTest
from test_navigator_pages import APP, DETAIL, tab, texts

from letters import pdf as pdf_module
from navigator import auth, cases, letter_pdf, letter_store

DOCTOR = {"name": "Dr. Example Neuro-Oncologist", "in_network": "no"}


@pytest.fixture
def store(app_store):
    return app_store


def with_letter(store):  # noqa: ANN001, ANN201
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case(provider=DOCTOR))
    letter = letter_store.generate_letter(store, admin, created.id, "appeal",
                                          expected_version=created.version)  # fmt: skip
    return admin, created.id, letter


def pdf_text(data: bytes, tmp_path) -> str:  # noqa: ANN001
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True).stdout  # fmt: skip


@pytest.mark.slow
def test_the_pdf_is_the_stored_letter_and_its_download_is_logged(store, tmp_path):
    admin, case_id, letter = with_letter(store)
    name, data = letter_pdf.letter_pdf(store, admin, case_id, letter.id)
    assert data.startswith(b"%PDF-") and name == letter.filename.removesuffix(".docx") + ".pdf"
    text = pdf_text(data, tmp_path)
    assert PATIENT in text and "ZT998877" in text  # the member's letter, not an empty page
    logged = [r for r in auth.audit_log(store, admin) if r.action == "letter_download"]
    assert [r.detail for r in logged] == [f"letter #{letter.id}"]


def test_without_libreoffice_the_page_says_so_and_the_word_file_stays(store, monkeypatch):
    admin, case_id, letter = with_letter(store)

    def missing() -> str:
        raise pdf_module.PdfError("LibreOffice (soffice) is not installed: see scripts/setup.sh")

    monkeypatch.setattr(letter_pdf, "soffice_binary", missing)
    with pytest.raises(letter_pdf.PdfUnavailable, match="LibreOffice is not installed"):
        letter_pdf.letter_pdf(store, admin, case_id, letter.id)


def test_a_failed_conversion_is_a_plain_message_without_libreoffices_output(store, monkeypatch):
    admin, case_id, letter = with_letter(store)

    def fails(docs, **kwargs):  # noqa: ANN001, ANN003, ANN202
        assert kwargs["timeout"] == letter_pdf.PDF_SECONDS  # bounded
        raise pdf_module.PdfError(f"LibreOffice did not convert letter: {PATIENT} crashed")

    monkeypatch.setattr(letter_pdf.service, "letters_to_pdf", fails)
    with pytest.raises(letter_pdf.PdfUnavailable) as caught:
        letter_pdf.letter_pdf(store, admin, case_id, letter.id)
    assert "took longer than 60 seconds" in str(caught.value)
    assert PATIENT not in str(caught.value)


def case_page(admin, case_id):  # noqa: ANN001, ANN201
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["nav_actor"] = admin
    at.query_params["case"] = str(case_id)
    at.run()
    at.switch_page(DETAIL).run()
    return tab(at, "Letters")


def test_no_pdf_is_made_until_asked_and_a_failure_shows_under_the_letter(store, monkeypatch):
    admin, case_id, letter = with_letter(store)
    calls = []
    monkeypatch.setattr(letter_pdf.service, "letters_to_pdf",
                        lambda docs, **kw: calls.append(1) or {})  # fmt: skip
    at = case_page(admin, case_id)
    labels = [b.label for b in at.get("download_button")] + [b.label for b in at.button]
    assert {"Word (DOCX)", "PDF", "Print"} <= set(labels)
    assert calls == []  # drawing the letters makes no PDF

    def fails(docs, **kwargs):  # noqa: ANN001, ANN003, ANN202
        raise pdf_module.PdfError("LibreOffice did not convert letter")

    monkeypatch.setattr(letter_pdf.service, "letters_to_pdf", fails)
    at.button(key=f"nav_letter_save_{letter.id}").click().run()
    assert not at.exception, at.exception
    assert "The PDF could not be made" in texts(at)


@pytest.mark.slow
def test_pdf_and_print_from_the_case_page(store, tmp_path):
    admin, case_id, letter = with_letter(store)
    at = case_page(admin, case_id)
    at.button(key=f"nav_letter_save_{letter.id}").click().run()
    assert not at.exception, at.exception
    [save] = [b for b in at.get("download_button") if b.proto.label.startswith("Save ")]
    assert save.proto.label == "Save " + letter.filename.removesuffix(".docx") + ".pdf"
    at.button(key=f"nav_letter_print_{letter.id}").click().run()
    assert not at.exception, at.exception
    assert "prints just these pages" in texts(at)
    [frame] = at.get("iframe")
    html = frame.proto.srcdoc
    assert html.count('<img alt="Page ') == 2 and 'onclick="window.print()"' in html
    assert PATIENT not in html  # only the page images: no case text in the HTML


@pytest.mark.slow
def test_the_print_view_is_the_letters_pages(store, tmp_path):
    admin, case_id, letter = with_letter(store)
    _, data = letter_pdf.letter_pdf(store, admin, case_id, letter.id)
    pages = letter_pdf.print_pages(data)
    assert len(pages) == 2 and all(p.startswith(b"\x89PNG") for p in pages)
