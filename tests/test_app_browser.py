"""The patient app in a real browser (Debian's Chromium through Playwright).

Fills the guided form, reads the answer, fills the letter details, downloads the DOCX and opens
it with python-docx; checks the phone layout at 375 px; scans the server log for the test
patient's name. Screenshots go to screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import docx
import pytest

from coverage.case import Case
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook import service

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots"
PATIENT = "Wilhelmina Browsertest"
MEMBER_ID = "WB-55123"
PLAN_ID = "mo-ppo-gateway-employer-insured"


def radio(page, label: str, option: str) -> None:
    page.get_by_role("radiogroup", name=label).get_by_text(option, exact=True).click()


def click(page, wait_for_app, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_for_app(page)


def fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit."""
    SHOTS.mkdir(exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(document.body.scrollHeight, ...Array.from("
        "document.querySelectorAll('[data-testid=stMain], section'), e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12000)})
    page.wait_for_timeout(500)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def step(page, wait_for_app, button: str, heading: str) -> None:
    """Click, then wait for the next step's heading (a rerun can start late under load)."""
    click(page, wait_for_app, button)
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    wait_for_app(page)


def answer_the_questions(page, wait_for_app, shots: str | None = None) -> None:
    radio(page, "What brings you here?", "I want a second opinion")
    step(page, wait_for_app, "Next", "Your plan")
    page.get_by_text("Gateway Example Health PPO 1500", exact=True).click()
    if shots:
        screenshot(page, f"{shots}-1-plan")
    step(page, wait_for_app, "Use this plan", "About your cancer")
    radio(page, form.CANCER_STEP.questions[1].label, "Yes")
    if shots:
        screenshot(page, f"{shots}-2-cancer")
    step(page, wait_for_app, "Next", "Why you want a second opinion")
    radio(page, "Are you still waiting to start treatment?", "Yes")
    step(page, wait_for_app, "Next", "The doctor for your second opinion")
    radio(page, "Is this doctor in your plan's network?", "No")
    radio(page, "Does your plan's network have a doctor who treats your kind of cancer?", "No")
    if shots:
        screenshot(page, f"{shots}-3-doctor")
    step(page, wait_for_app, "Next", "How soon you need it")
    step(page, wait_for_app, "Next", "Has your plan said no?")  # how soon: nothing to add
    click(page, wait_for_app, "See my answer")
    page.get_by_role("heading", name="Your answer").wait_for()
    page.get_by_role("heading", name="What to do next").wait_for()
    wait_for_app(page)


def expected_case() -> Case:
    case = Case(plan=PLAN_ID)
    case.diagnosis.newly_diagnosed = "yes"
    case.reasons.before_treatment_starts = "yes"
    case.provider.in_network = "no"
    case.qualified_in_network_specialist = "no"
    return case


def test_check_answer_letters_and_docx_download(streamlit_server, page, wait_for_app):
    page.goto(streamlit_server.url)
    wait_for_app(page)
    answer_the_questions(page, wait_for_app, shots="desktop")

    expected = service.check(expected_case())
    headline = page.locator("[data-testid='stAlert']").first
    assert headline.inner_text().strip() == expected.headline
    boxes = page.locator("[data-testid='stCheckbox']").all_inner_texts()
    steps = flow.action_steps(expected)
    assert [b.strip() for b in boxes[: len(steps)]] == [f"{n}. {s}" for n, s in enumerate(steps, 1)]
    with page.expect_download() as calendar:
        page.get_by_role("button", name="Add the dates to my calendar (.ics)").click()
    ics_text = Path(calendar.value.path()).read_text()
    assert ics_text.startswith("BEGIN:VCALENDAR")
    screenshot(page, "desktop-4-answer")

    page.get_by_role("link", name="Get my letters").first.click()
    wait_for_app(page)
    fill(page, "Your full name", PATIENT)
    fill(page, "Member ID (on your plan card)", MEMBER_ID)
    fill(page, "The second-opinion doctor's name", "Dr. Ada Example")
    click(page, wait_for_app, "Save these details")
    page.get_by_text("Saved. Your letters now use these details.").wait_for()
    screenshot(page, "desktop-5-letters")

    assert expected.letters[0] == "network_exception_request"
    with page.expect_download() as download:  # the first card is the first recommended letter
        page.get_by_role("button", name="Download Word file (.docx)").first.click()
    assert download.value.suggested_filename == "second-look-network-exception-request.docx"
    document = docx.Document(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert PATIENT in text and MEMBER_ID in text and "Dr. Ada Example" in text

    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download PDF").first.click()
    assert download.value.suggested_filename == "second-look-network-exception-request.pdf"
    pdf = Path(download.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert PATIENT in text and MEMBER_ID in text

    # Member data never reaches the server's log.
    log = streamlit_server.log()
    assert PATIENT not in log and MEMBER_ID not in log


def test_phone_width_has_no_sideways_scrolling(streamlit_server, phone_page, wait_for_app):
    page = phone_page
    page.goto(streamlit_server.url)
    wait_for_app(page)
    answer_the_questions(page, wait_for_app, shots="phone")
    screenshot(page, "phone-4-answer")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    for selector in ("[data-testid='stAlert']", "[data-testid='stCheckbox']"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.goto(f"{streamlit_server.url}/guide")
    wait_for_app(page)
    screenshot(page, "phone-6-guide")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_every_input_has_a_label(streamlit_server, page, wait_for_app):
    page.goto(streamlit_server.url)
    wait_for_app(page)
    answer_the_questions(page, wait_for_app)
    page.get_by_role("link", name="Get my letters").first.click()
    wait_for_app(page)
    unlabeled = page.evaluate(
        """() => Array.from(document.querySelectorAll(
                'input, textarea, select, [role=spinbutton], [role=combobox], [role=textbox]'))
            .filter(e => e.type !== 'hidden' && !e.closest('[aria-hidden=true]'))
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !e.getAttribute('aria-labelledby')
                         && !e.closest('[role=radiogroup][aria-label]'))
            .map(e => e.outerHTML.slice(0, 200))"""
    )
    assert page.locator("input").count() > 20  # the letters form was there to check
    assert unlabeled == []


def test_save_then_resume_in_a_new_session(streamlit_server, browser, page, wait_for_app, tmp_path):
    page.goto(streamlit_server.url)
    wait_for_app(page)
    answer_the_questions(page, wait_for_app)
    headline = page.locator("[data-testid='stAlert']").first.inner_text().strip()
    with page.expect_download() as saved:
        page.get_by_role("button", name="Save my answers (download a file)").click()
    assert saved.value.suggested_filename == flow.CASE_FILE_NAME
    case_file = tmp_path / saved.value.suggested_filename  # keeps the .yaml the uploader wants
    saved.value.save_as(case_file)
    assert service.parse_case(case_file.read_text(), "saved.yaml") == expected_case()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        fresh = context.new_page()
        fresh.goto(f"{streamlit_server.url}/save")
        wait_for_app(fresh)
        fresh.locator("input[type=file]").set_input_files(str(case_file))
        wait_for_app(fresh)
        click(fresh, wait_for_app, "Open my answers")
        fresh.get_by_text("Your answers are back.").wait_for()
        fresh.get_by_role("link", name="See my answer").click()
        wait_for_app(fresh)
        fresh.get_by_role("heading", name="What to do next").wait_for()
        assert fresh.locator("[data-testid='stAlert']").first.inner_text().strip() == headline
    finally:
        context.close()
