"""A navigator's morning in a real browser (Debian's Chromium through Playwright): My day shows
the task due today; the case opens from the queue; a call is logged with a follow-up; the prior
authorization request is generated, signed by Nina as the patient's authorised representative, and
marked sent (fax, today), which moves the case to Request sent and starts the plan's urgent
decision clock; the deadline board and My day show the clock;
the case is handed to a colleague with a note, which lands in the colleague's My day.
"""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from nav_browser import go, open_select, screenshot, settled_text, sign_in, textbox
from navigator_helpers import PASSWORD, first_org, navigator, zelda_case
from playwright.sync_api import expect

from navigator import auth, cases, letter_store, representative, tasks
from navigator.store import Store

pytestmark = pytest.mark.slow

PATIENT = "Zelda Morningtest"
DOCTOR = {"name": "Dr. Example Neuro-Oncologist", "in_network": "no"}


def prepare(db_url: str) -> int:
    """Nina's open case at intake (urgent, request not sent yet) with a task due today."""
    store = Store.open(db_url)
    try:
        admin = first_org(store)
        nina = navigator(store, admin, "nina", "Nina Navigator")
        navigator(store, admin, "omar", "Omar Navigator")
        representative.set_letter_contact(store, admin, "500 River Rd\nKirkwood, MO 63122",
                                          "(314) 555-0100")  # fmt: skip
        case = zelda_case(
            case_id="RS-MORNING", patient={"name": PATIENT, "member_id": "ZM-1", "state": "MO"},
            denial=None, request_sent_date=None, provider=DOCTOR,
            urgency={"physician_certifies_urgent": "yes"},
        )  # fmt: skip
        created = cases.create_case(store, nina, case)
        tasks.add_task(store, nina, created.id, title="Send the prior authorization request",
                       due=dt.date.today() - dt.timedelta(days=1), note="Urgent: fax it.")  # fmt: skip
        return created.id
    finally:
        store.close()


def main_text(page) -> str:  # noqa: ANN001
    return settled_text(page)


def section(page, heading: str):  # noqa: ANN001, ANN201
    """The bordered rows under one heading of My day."""
    return page.locator("[data-testid='stVerticalBlockBorderWrapper']").filter(has_text=heading)


def test_a_navigators_morning(nav_server, page, wait_for_app):
    case_id = prepare(nav_server.db_url)
    sign_in(page, wait_for_app, nav_server.url, "nina", PASSWORD)

    # The queue: yesterday's task is overdue.
    go(page, wait_for_app, "My day")
    page.get_by_role("heading", name="My day").wait_for()
    page.get_by_text("Send the prior authorization request").wait_for()
    text = main_text(page)
    assert "Overdue (1)" in text and "1 day overdue" in text and "Urgent: fax it." in text
    screenshot(page, "navigator-my-day-before")

    # Open the case from the queue.
    page.get_by_role("button", name="Open").first.click()
    wait_for_app(page)
    page.get_by_role("heading", name=PATIENT).wait_for()
    assert f"case={case_id}" in page.url

    # Log the call, with a follow-up in two days.
    page.get_by_role("tab", name="Call log").click()
    wait_for_app(page)  # the server draws the tab when it opens
    textbox(page, "Who you spoke with").fill("Dana, UM nurse")
    textbox(page, "Reference number").fill("CALL-901")
    textbox(page, "What was said").fill("Fax number confirmed; urgent review available.")
    follow = page.locator("[data-testid='stDateInput']").filter(has_text="Follow up on")
    follow = follow.locator("input")
    follow.fill((dt.date.today() + dt.timedelta(days=2)).isoformat())
    follow.press("Enter")
    page.get_by_role("button", name="Add to call log").click()
    wait_for_app(page)
    page.get_by_text("Call logged.").first.wait_for()

    # The prior authorization request, generated and marked sent by fax today.
    page.get_by_role("tab", name="Letters").click()
    wait_for_app(page)  # the server draws the tab when it opens
    page.keyboard.press("Escape")  # no date picker left open over the page
    open_select(page, page.get_by_role("combobox", name="Letter"))
    page.keyboard.type("Prior authorization")
    page.get_by_role("option").filter(has_text="Prior authorization request").first.click()
    page.get_by_text("me as authorised representative (Riverside Cancer Center)").click()
    page.get_by_role("button", name="Generate letter").click()
    wait_for_app(page)
    page.get_by_text("Letter generated and stored with the case.").first.wait_for()
    assert "Signed by Nina Navigator, as the patient's authorised representative" in main_text(page)
    page.get_by_role("button", name="Mark sent").click()
    wait_for_app(page)
    page.get_by_text("Marked sent; the case and its deadlines are updated.").first.wait_for()
    text = main_text(page)
    assert "Sent " in text and "Fax" in text
    assert " · Request sent · Nina Navigator · version " in text  # the case's caption
    # The status form moved on with the case: "Keep" names the new status.
    expect(page.get_by_role("combobox", name="Move to")).to_have_value("Keep: Request sent")
    screenshot(page, "navigator-letter-sent")

    # The clock: the plan's urgent decision is due within days, on the case and the board.
    page.get_by_role("tab", name="Coverage").click()
    wait_for_app(page)  # the server draws the tab when it opens
    page.get_by_text("Urgent decision on the prior-authorisation request").first.wait_for(
        state="attached"
    )  # a cell of the deadlines table (drawn on a canvas)
    go(page, wait_for_app, "Cases")
    page.get_by_role("tab", name="Deadlines").click()
    board = main_text(page)
    assert "Urgent decision on the prior-authorisation request" in board
    assert PATIENT in board

    # My day: the task is ticked off; the follow-up and the clock are this week.
    go(page, wait_for_app, "My day")
    page.get_by_role("button", name="Done").first.click()
    wait_for_app(page)
    page.get_by_text("Nothing overdue.").wait_for()
    text = main_text(page)
    assert "Follow up: call with Dana, UM nurse" in text
    assert "Urgent decision on the prior-authorisation request" in text
    screenshot(page, "navigator-my-day-after")

    # Hand the case to Omar with a note.
    page.get_by_role("button", name="Open").first.click()
    wait_for_app(page)
    status_form = page.locator("[data-testid='stForm']").filter(
        has=page.get_by_role("button", name="Save status and navigator")
    )
    open_select(page, status_form.get_by_role("combobox", name="Navigator"))
    page.get_by_role("option", name="Omar Navigator").click()
    status_form.get_by_role("textbox", name="Hand-off note").fill("Plan promised a call by 4pm.")
    status_form.get_by_role("button", name="Save status and navigator").click()
    wait_for_app(page)
    page.get_by_text("Saved.").first.wait_for()
    assert " · Request sent · Omar Navigator · version " in main_text(page)

    # Omar's morning: the hand-off with its note, due today.
    page.get_by_role("button", name="Sign out").first.click()
    wait_for_app(page)
    sign_in(page, wait_for_app, nav_server.url, "omar", PASSWORD)
    go(page, wait_for_app, "My day")
    page.get_by_text("Hand-off from Nina Navigator").wait_for()
    text = main_text(page)
    assert "Today (1)" in text and "Plan promised a call by 4pm." in text
    assert "Urgent decision on the prior-authorisation request" in text  # his case now
    screenshot(page, "navigator-my-day-handoff")

    store = Store.open(nav_server.db_url)
    try:
        omar = auth.login(store, "omar", PASSWORD)
        detail = cases.open_case(store, omar, case_id, record_view=False)
        assert detail.status == "request_sent"
        assert detail.assigned_to.display_name == "Omar Navigator"
        assert detail.case.request_sent_date == dt.date.today()
        assert detail.letters[0].sent_via == "fax"
        assert detail.letters[0].voice == "representative"
        _, data = letter_store.letter_content(store, omar, case_id, detail.letters[0].id)
        letter = docx.Document(io.BytesIO(data))
        lines = [p.text for p in letter.paragraphs if p.text]
        assert lines[2:4] == ["Nina Navigator", "Riverside Cancer Center"]  # under the banner
        assert f"Authorized representative of {PATIENT}" in lines
    finally:
        store.close()
    assert PATIENT not in nav_server.log()
