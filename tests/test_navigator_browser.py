"""The navigator workspace in a real browser (Debian's Chromium through Playwright):
first-run set-up → sign in → new case → call log → letter generated and downloaded; the
downloaded bytes are the stored letter. A phone-width pass checks the case page lays out.
Its own `streamlit run` on a free port with an empty SQLite store in a temp dir.
"""

from __future__ import annotations

import hashlib
import io
import re
import urllib.error
import urllib.request
from pathlib import Path

import docx
import pytest
from nav_browser import go, open_select, screenshot, settled_text, sign_in, textbox
from navigator_helpers import PASSWORD, first_org, zelda_case
from playwright.sync_api import expect

from navigator import auth, cases
from navigator.store import Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots"
PATIENT = "Zelda Browsertest"
PLAN = "Riverfront"  # mo-ppo-riverfront-employer-self-funded, found by typing its name


def sidebar_links(page) -> list[str]:  # noqa: ANN001
    texts = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
    return [t.split("\n")[-1] for t in texts]  # the icon's name comes first


def test_first_sign_in_case_and_letter(nav_server, page, wait_for_app):
    url, db_url, log_path = nav_server.url, nav_server.db_url, nav_server.log_path
    # The operator creates the organisation on the server; no page can.
    page.goto(f"{url}/navigator")
    wait_for_app(page)
    assert "secondlook-navigator create-organisation" in page.locator("code").first.inner_text()
    store = Store.open(db_url)
    try:
        made = auth.create_organisation(store, name="Riverside Cancer Center", code="riverside",
                                        admin_username="admin", admin_display_name="Ada Admin")  # fmt: skip
    finally:
        store.close()
    # A visitor's menu: the patient pages and one staff entry; each page has its own title.
    page.goto(f"{url}/navigator")
    wait_for_app(page)
    links = sidebar_links(page)
    assert "Navigator sign-in" in links and "Cases" not in links and "Admin" not in links
    expect(page).to_have_title("Navigator sign-in · Second Look")

    # First sign-in with the one-time password: choose a password first.
    textbox(page, "Username").fill("admin")
    textbox(page, "Password").fill(made.one_time_password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Choose your password").wait_for()
    textbox(page, "One-time password").fill(made.one_time_password)
    textbox(page, "New password").fill(PASSWORD)
    textbox(page, "New password again").fill(PASSWORD)
    page.get_by_role("button", name="Save my password").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Navigator workspace", exact=True).wait_for()
    assert "Ada Admin" in settled_text(page)
    links = sidebar_links(page)
    assert {"Cases", "Case", "Batch letters", "Admin", "My account"} <= set(links)

    # Sign out and back in with the password.
    page.get_by_role("button", name="Sign out").first.click()
    wait_for_app(page)
    textbox(page, "Username").fill("admin")
    textbox(page, "Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)
    assert page.get_by_text("Wrong username or password").is_visible()
    textbox(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)

    # A new case with a plan from the catalog.
    go(page, wait_for_app, "Cases")
    expect(page).to_have_title("Cases · Second Look")
    page.get_by_role("tab", name="New case").click()
    form = page.locator("[data-testid='stForm']").filter(
        has=page.get_by_role("button", name="Create case")
    )
    textbox(form, "Patient's full name").fill(PATIENT)
    textbox(form, "Member ID").fill("ZB-1234")
    form.get_by_role("combobox", name="Plan").click()
    page.keyboard.type(PLAN)
    page.get_by_role("option").filter(has_text=PLAN).first.click()
    screenshot(page, "navigator-new-case")
    form.get_by_role("button", name="Create case").click()
    wait_for_app(page)
    page.get_by_role("heading", name=PATIENT).wait_for()
    assert "case=" in page.url

    # Add the second-opinion doctor in the case facts (the letter needs them).
    page.get_by_role("tab", name="Case facts").click()
    wait_for_app(page)  # the server draws the tab when it opens
    page.get_by_text("Second-opinion provider", exact=True).click()
    facts = page.locator("[data-testid='stForm']").filter(
        has=page.get_by_role("button", name="Save case facts")
    )
    textbox(facts, "Physician").first.fill("Dr. Example Neuro-Oncologist")
    facts.get_by_role("button", name="Save case facts").click()
    wait_for_app(page)
    page.get_by_text("Case saved; coverage checked again.").first.wait_for()

    # Log a call, then write the prior-authorization request citing it.
    page.get_by_role("tab", name="Call log").click()
    wait_for_app(page)  # the server draws the tab when it opens
    textbox(page, "Who you spoke with").fill("Dana, UM nurse")
    textbox(page, "Reference number").fill("CALL-778")
    textbox(page, "What was said").fill("The gap exception form was never received.")
    page.get_by_role("button", name="Add to call log").click()
    wait_for_app(page)
    page.get_by_text("Call logged.").first.wait_for()

    page.get_by_role("tab", name="Letters").click()
    wait_for_app(page)  # the server draws the tab when it opens
    open_select(page, page.get_by_role("combobox", name="Letter"))
    page.keyboard.type("Prior authorization")
    page.get_by_role("option").filter(has_text="Prior authorization request").first.click()
    open_select(page, page.get_by_role("combobox", name="Cite these calls (evidence)"))
    page.get_by_role("option").filter(has_text="CALL-778").first.click()
    page.keyboard.press("Escape")  # close the drop-down so it does not cover the button
    page.keyboard.press("Tab")
    page.get_by_role("listbox").wait_for(state="hidden")
    page.get_by_role("button", name="Generate letter").click()
    wait_for_app(page)
    page.get_by_text("Letter generated and stored with the case.").first.wait_for()
    # Still on the Letters tab after the save.
    assert page.get_by_role("tab", name="Letters").get_attribute("aria-selected") == "true"
    screenshot(page, "navigator-case-letters")
    with page.expect_download() as info:
        page.get_by_role("button", name="Word (DOCX)").first.click()
    download = info.value
    data = Path(download.path()).read_bytes()

    # The downloaded bytes are the stored letter, and it cites the call.
    store = Store.open(db_url)
    try:
        admin = auth.login(store, "admin", PASSWORD)
        [summary] = cases.list_cases(store, admin)
        detail = cases.open_case(store, admin, summary.id, record_view=False)
        [stored] = detail.letters
        assert download.suggested_filename == stored.filename
        assert hashlib.sha256(data).hexdigest() == stored.sha256
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert "CALL-778" in text
        actions = [r.action for r in auth.audit_log(store, admin)]
        assert "letter_generate" in actions and "letter_download" in actions
    finally:
        store.close()
    # No member data in what the server printed.
    assert PATIENT not in log_path.read_text(errors="replace")


def test_case_page_on_a_phone(nav_server, phone_page, wait_for_app):
    url, db_url = nav_server.url, nav_server.db_url
    store = Store.open(db_url)
    try:
        if auth.needs_setup(store):
            first_org(store)
        admin = auth.login(store, "admin", PASSWORD)
        if not cases.list_cases(store, admin):
            cases.create_case(store, admin, zelda_case())
    finally:
        store.close()
    page = phone_page
    page.goto(f"{url}/navigator")
    wait_for_app(page)
    textbox(page, "Username").fill("admin")
    textbox(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)
    go(page, wait_for_app, "Cases")
    page.get_by_role("tab", name="All cases").click()
    page.get_by_role("combobox", name="Open a case").wait_for()
    page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Open").click()
    wait_for_app(page)
    page.get_by_role("tab", name="Coverage").wait_for()
    screenshot(page, "navigator-phone")
    overflow = page.evaluate(
        "document.querySelector('[data-testid=stMain]').scrollWidth - window.innerWidth"
    )
    assert overflow <= 1  # nothing wider than the phone


def signed_in_admin_with_a_letter(db_url: str) -> tuple[int, int]:
    """The module's admin (made if the first test did not run) and a case with a letter."""
    from navigator import letter_store

    store = Store.open(db_url)
    try:
        if auth.needs_setup(store):
            first_org(store)
        admin = auth.login(store, "admin", PASSWORD)
        case = zelda_case(
            case_id="RS-LETTER",
            provider={"name": "Dr. Example Neuro-Oncologist", "in_network": "no"},
        )
        created = cases.create_case(store, admin, case)
        letter = letter_store.generate_letter(
            store, admin, created.id, "preauth_request", expected_version=created.version
        )
        return created.id, letter.id
    finally:
        store.close()


def fetch_status(url: str) -> int:
    """GET without the browser's cookies or session."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_downloads_exist_only_from_the_click_and_uploads_say_the_limit(
    nav_server, page, wait_for_app, tmp_path
):
    case_id, _ = signed_in_admin_with_a_letter(nav_server.db_url)
    sign_in(page, wait_for_app, nav_server.url, "admin", PASSWORD)
    go(page, wait_for_app, "Cases")
    page.get_by_role("tab", name="All cases").click()
    textbox(page, "Search").fill(f"#{case_id}")
    textbox(page, "Search").press("Enter")
    wait_for_app(page)
    page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Open").click()
    wait_for_app(page)
    page.get_by_role("tab", name="Letters").click()
    wait_for_app(page)
    # Nothing is on the media route before the click (the bytes are made on the click).
    assert not re.search(r"(?<!static)/media/\w", page.content())
    with page.expect_download() as info:
        page.get_by_role("button", name="Word (DOCX)").first.click()
    url = info.value.url
    assert "/media/" in url
    # Streamlit's media route checks no session: the file answers anyone who has the URL...
    assert fetch_status(url) == 200
    # ...until the next runs of the page clean it up (the idle watch runs every minute): a few
    # tab changes, each a run of the case's tabs.
    for tab in ("Notes", "Letters") * 4:
        page.get_by_role("tab", name=tab).click()
        wait_for_app(page)
        if fetch_status(url) == 404:
            break
    assert fetch_status(url) == 404

    # A file over the limit: the uploader refuses it, and the form says the limit in words.
    page.get_by_role("tab", name="Documents").click()
    wait_for_app(page)
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (26 * 1024 * 1024))
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(str(big))
    page.get_by_text("25.0MB or smaller", exact=False).wait_for()
    page.get_by_role("button", name="Upload", exact=True).click()
    wait_for_app(page)
    assert page.get_by_text("A file over 25 MB is refused", exact=False).is_visible()
    assert page.get_by_text("File (at most 25 MB)").is_visible()


def test_typed_case_facts_survive_a_look_at_another_tab(nav_server, page, wait_for_app):
    """A navigator types into the case facts, checks the call log, comes back: what she typed
    is still there, unsaved, and saving it saves it."""
    store = Store.open(nav_server.db_url)
    try:
        if auth.needs_setup(store):
            first_org(store)
        admin = auth.login(store, "admin", PASSWORD)
        cases.create_case(store, admin, zelda_case())
    finally:
        store.close()
    sign_in(page, wait_for_app, nav_server.url, "admin", PASSWORD)
    go(page, wait_for_app, "Cases")
    page.get_by_role("tab", name="All cases").click()
    page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Open").click()
    wait_for_app(page)
    page.get_by_role("tab", name="Case facts").click()
    wait_for_app(page)
    page.get_by_text("Second-opinion provider", exact=True).click()
    textbox(page, "Physician").first.fill("Dr. Typed Notsaved")
    page.get_by_role("tab", name="Call log").click()
    wait_for_app(page)
    page.get_by_role("tab", name="Case facts").click()
    wait_for_app(page)
    page.get_by_text("Second-opinion provider", exact=True).click()
    assert textbox(page, "Physician").first.input_value() == "Dr. Typed Notsaved"
