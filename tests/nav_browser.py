"""Playwright helpers for the navigator pages (plain functions; fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import APP_IDLE

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots"


def settled_text(page, selector: str = "[data-testid='stMain']") -> str:  # noqa: ANN001
    """The text under `selector` once the script run has finished. Call it after waiting for
    something the new run draws (a message): the run has started then, and until it ends the
    page still shows the previous run's elements further down."""
    page.wait_for_selector(APP_IDLE, timeout=30_000)
    return page.locator(selector).first.inner_text()


def screenshot(page, name: str) -> None:
    """The whole page (Streamlit scrolls inside its main block): grow the viewport to fit."""
    SHOTS.mkdir(exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(document.body.scrollHeight, ...Array.from("
        "document.querySelectorAll('[data-testid=stMain], section'), e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def textbox(page, name: str):  # noqa: ANN201
    return page.get_by_role("textbox", name=name, exact=True)


def go(page, wait_for_app, link: str) -> None:
    """Follow a sidebar link (opening the sidebar first on a phone)."""
    sidebar = page.locator("[data-testid='stSidebarNav']")
    if not sidebar.is_visible():
        page.locator("[data-testid='stExpandSidebarButton']").click()
        sidebar.wait_for(state="visible")
    sidebar.get_by_role("link", name=link, exact=True).click()
    wait_for_app(page)
    close = page.locator("[data-testid='stSidebarCollapseButton'] button")
    if page.viewport_size["width"] < 700 and close.is_visible():
        close.click()
        page.wait_for_timeout(300)


def sign_in(page, wait_for_app, url: str, username: str, password: str) -> None:
    """Open the navigator sign-in page and sign in with a password."""
    page.goto(f"{url}/navigator")
    wait_for_app(page)
    textbox(page, "Username").fill(username)
    textbox(page, "Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Navigator workspace", exact=True).wait_for()


def set_files(page, file_input, files) -> None:  # noqa: ANN001
    """Choose files in a Streamlit uploader and wait until the upload has reached the server
    (a form submitted before that would see no file)."""
    file_input.set_input_files(files)
    page.locator("[data-testid='stFileChip']").first.wait_for()
    # While a file travels its chip's button reads "Cancel upload of …", then "Remove …".
    page.wait_for_function("() => !document.querySelector('[aria-label^=\"Cancel upload\"]')")


def open_select(page, combobox) -> None:  # noqa: ANN001
    """Open a select box's list. A select box's list closes when the page scrolls, so one
    below the fold is scrolled into view first (a click that has to scroll opens nothing)."""
    combobox.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    combobox.click()
    page.get_by_role("listbox").wait_for()
