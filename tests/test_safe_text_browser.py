"""User text is shown, never interpreted: a real browser on every page that shows user text.

An image payload `![x](http://127.0.0.1:PORT/p.png)` and a link payload
`[ref](http://127.0.0.1:PORT/phish)` go into every user-text field the model accepts: the
organisation's and the users' names, every text field of a case (patient name, reference number,
member id, addresses, diagnosis, denial reason...), call-log entries, notes, a document's file
name, a spreadsheet import (cells and file name) and a patient's saved file (content and file
name). Then every navigator and patient page is opened in Chromium, tab by tab. A local HTTP
server and `page.on("request")` record that the browser asks the payload host for nothing, and
the DOM holds no link or image pointing at it (nor any e-mail or `www.` autolink).
"""

from __future__ import annotations

import csv
import http.server
import io
import threading

import pytest
from conftest import free_port
from nav_browser import go, set_files, sign_in
from navigator_helpers import PASSWORD, own_password, zelda_case
from pydantic import ValidationError

from coverage.case import Case
from navigator import auth, cases, exchange
from navigator.store import Store
from secondlook import patient_flow as flow
from secondlook.batch.columns import COLUMN_NAMES
from secondlook.safe_text import WORD_JOINER

pytestmark = pytest.mark.slow

# Markers that must never appear in a request, an <a href> or an <img src> of the page.
MARKERS = ("p.png", "phish", "evil.example", "mailto:")


class PayloadHost:
    """A local HTTP server that records every request made to it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                host.requests.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.port = free_port()
        self.server = http.server.HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def payload_host():
    host = PayloadHost()
    yield host
    host.close()


def payload(base: str) -> str:
    return f"![x]({base}/p.png) [ref]({base}/phish) www.evil.example x@evil.example"


def payload_case(text: str) -> Case:
    """Zelda's case with `text` in every string field the model accepts it in."""
    data = zelda_case().model_dump(mode="json")
    data["referring_physician"] = {"name": "Dr. A", "address_lines": ["1 Main St"]}
    data["records_from"] = [{"name": "Lab", "address_lines": ["2 Main St"]}]
    data["denial"]["reference_number"] = "REF-1"
    data["denial"]["send_to"] = {"name": "Appeals", "address_lines": ["3 Main St"]}
    data["provider"].update(specialty="onc", institution="Inst", address_lines=["4 Main St"])

    def leaves(node, path=()):  # noqa: ANN001, ANN202
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, dict | list):
                yield from leaves(value, (*path, key))
            elif isinstance(value, str) and key != "plan":
                yield (*path, key)

    def put(target, path, value):  # noqa: ANN001, ANN202
        for key in path[:-1]:
            target = target[key]
        old, target[path[-1]] = target[path[-1]], value
        return old

    accepted = 0
    for path in list(leaves(data)):
        old = put(data, path, text)
        try:
            Case.model_validate(data)
            accepted += 1
        except ValidationError:
            # A pattern-checked field (reference, NPI, ICD-10): an autolink still fits some.
            put(data, path, "www.evil.example")
            try:
                Case.model_validate(data)
            except ValidationError:
                put(data, path, old)
    assert accepted >= 15, accepted
    return Case.model_validate(data)


def no_payload_in_dom(page) -> None:  # noqa: ANN001
    """No link or image of the page points at the payload (or is an e-mail/www autolink)."""
    targets = page.evaluate(
        "() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
        ".concat([...document.querySelectorAll('img[src]')].map(i => i.getAttribute('src')))"
    )
    bad = [t for t in targets if any(m in t for m in MARKERS) or "evil" in t]
    assert bad == []


def visit_all_tabs(page, wait_for_app) -> None:  # noqa: ANN001
    tabs = page.get_by_role("tab")
    for index in range(tabs.count()):
        tabs.nth(index).click()
        wait_for_app(page)
        no_payload_in_dom(page)


def test_user_text_never_fetches_or_links(
    nav_server, payload_host, browser, wait_for_app, tmp_path
):
    text = payload(payload_host.base)
    link = f"[ref]({payload_host.base}/phish)"  # a reference number holds 100 characters
    store = Store.open(nav_server.db_url)
    try:
        made = auth.create_organisation(
            store, name=text, code="org", admin_username="admin", admin_display_name=text
        )
        admin = own_password(store, "admin", made.one_time_password, "org")
        auth.create_user(store, admin, username="nav", display_name=text)
        case = payload_case(text)
        created = cases.create_case(store, admin, case)
        cases.add_call(
            store, admin, created.id, call_date=created.created_at.date(), person=text,
            summary=text, organisation=text, reference_number=link,
        )  # fmt: skip
        cases.add_note(store, admin, created.id, text)
        cases.add_document(
            store, admin, created.id, kind="other", filename="![x](p.png) [ref](evil.example).pdf",
            content_type="application/pdf", data=b"%PDF-1.4 test",
        )  # fmt: skip
        cells = exchange.case_to_cells(case.model_copy(update={"case_id": "IMPORTED-1"}), "x")
    finally:
        store.close()
    import_file = tmp_path / "import.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMN_NAMES)
    writer.writerow([cells[name] for name in COLUMN_NAMES])
    import_file.write_text(buffer.getvalue(), encoding="utf-8")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    try:
        sign_in(page, wait_for_app, nav_server.url, "admin", PASSWORD)
        no_payload_in_dom(page)

        # Import: the cells, then a bad file whose name is the payload.
        go(page, wait_for_app, "Cases")
        page.get_by_role("tab", name="Import / export").click()
        upload = (
            page.locator("[data-testid='stFileUploader']")
            .filter(has_text="CSV or XLSX file")
            .locator("input[type=file]")
        )
        set_files(page, upload, str(import_file))
        page.get_by_role("button", name="Import", exact=True).click()
        wait_for_app(page)
        page.get_by_text("Imported 1 case").wait_for()
        set_files(
            page,
            upload,
            [
                {
                    "name": "[ref](evil.example) ![x](p.png).xlsx",
                    "mimeType": "application/octet-stream",
                    "buffer": b"not a spreadsheet",
                }
            ],
        )
        page.get_by_role("button", name="Import", exact=True).click()
        wait_for_app(page)
        page.get_by_text("Nothing was imported").wait_for()
        assert "[ref](evil.example)" in page.locator("[data-testid='stAlert']").inner_text()
        no_payload_in_dom(page)
        visit_all_tabs(page, wait_for_app)

        # The case page, every tab.
        page.get_by_role("tab", name="All cases").click()
        page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Open").click()
        wait_for_app(page)
        page.get_by_role("tab", name="Call log").wait_for()  # on the case page now
        title = page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert title.replace(WORD_JOINER, "") == text  # shown literally, not interpreted
        visit_all_tabs(page, wait_for_app)

        go(page, wait_for_app, "Admin")
        visit_all_tabs(page, wait_for_app)
        page.get_by_role("tab", name="Audit log").click()
        page.get_by_role("button", name="Show the latest 500 events").click()
        wait_for_app(page)
        no_payload_in_dom(page)

        # The patient pages, from a saved file holding the payload (and a bad file so named).
        page.goto(f"{nav_server.url}/save")
        wait_for_app(page)
        opener = page.locator("input[type=file]")
        set_files(
            page,
            opener,
            [
                {
                    "name": "![x](p.png).yaml",
                    "mimeType": "application/x-yaml",
                    "buffer": b"patient: [unclosed",
                }
            ],
        )
        page.get_by_role("button", name="Open my answers").click()
        wait_for_app(page)
        no_payload_in_dom(page)
        saved = tmp_path / flow.CASE_FILE_NAME
        saved.write_bytes(flow.case_to_yaml(payload_case(text)))
        set_files(page, opener, str(saved))
        page.get_by_role("button", name="Open my answers").click()
        wait_for_app(page)
        page.get_by_text("Your answers are back.").wait_for()
        for link in ("My answer", "My letters", "Check my coverage"):
            go(page, wait_for_app, link)  # in this session: a new page load would forget the case
            no_payload_in_dom(page)
        page.wait_for_timeout(500)
    finally:
        context.close()
    assert [
        u for u in requested if any(m in u for m in MARKERS) or str(payload_host.port) in u
    ] == []
    assert payload_host.requests == []
