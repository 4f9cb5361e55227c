"""Navigator click-to-updated benchmark in a real browser (Debian's Chromium, Playwright).

Run: .venv/bin/python bench/bench_navigator_browser.py [--repeats 7]

Starts `streamlit run app.py` on a free port with a throwaway SQLite store (one organisation,
one navigator, one case ready for letters), signs in, and times common actions from the click
until the page shows the result and the script has finished:

- open case: "Open" on the Cases list → the case's heading;
- save: a changed fact, "Save case facts" → the case's caption shows the next version;
- log call: "Add to call log" → the call is in the list (and the next version);
- generate letter: "Generate letter" → one more stored letter on the page;
- move status: "Save status and navigator" with a move → the next version, new status.

Prints the median, min and max of each in milliseconds, and the machine's load average before
and after. The issue's target is under 1 s per action on this machine; the numbers move with
the machine's load (other processes are not stopped), so compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import (  # noqa: E402
    APP_IDLE,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    start_streamlit,
    stop_process,
)
from nav_browser import go, sign_in, textbox  # noqa: E402
from navigator_helpers import PASSWORD, first_org, zelda_case  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from navigator import auth, cases  # noqa: E402
from navigator.store import Store  # noqa: E402

DOCTOR = {"name": "Dr. Example Neuro-Oncologist", "in_network": "no"}


def wait_idle(page) -> None:  # noqa: ANN001
    page.wait_for_selector(APP_IDLE, timeout=60_000)


def timed(page, button, done: Callable[[], None]) -> float:  # noqa: ANN001
    """Milliseconds from the click on `button` until `done()` sees the result and the script is
    idle. The button is scrolled into view and hovered first, untimed: Playwright's click
    otherwise waits for the page to stop moving (an expander just opened, a long form scrolled),
    which is the time a person takes to reach the button, not the action's."""
    wait_idle(page)
    page.wait_for_timeout(300)  # a redraw that is about to start replaces the button
    button.scroll_into_view_if_needed()
    button.hover()
    start = time.perf_counter()
    button.click()
    done()
    wait_idle(page)
    return (time.perf_counter() - start) * 1000


def prepare(db_url: str) -> int:
    store = Store.open(db_url)
    try:
        admin = first_org(store)
        created = cases.create_case(store, admin, zelda_case(provider=DOCTOR), status="denied")
        return created.id
    finally:
        store.close()


def version_now(db_url: str, case_id: int) -> int:
    store = Store.open(db_url)
    try:
        admin = auth.login(store, "admin", PASSWORD)
        return cases.current_version(store, admin, case_id).version
    finally:
        store.close()


def caption_shows(page, version: int) -> Callable[[], None]:  # noqa: ANN001
    return lambda: page.get_by_text(f"version {version}, saved").first.wait_for()


def choose(page, combobox, option: str) -> None:  # noqa: ANN001
    """Pick an option of a select box (not timed). A click on a select box that was redrawn a
    moment ago sometimes does not open its list (on the page before the fragments too): click
    again until the list shows."""
    for _ in range(5):
        combobox.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=2_000)
            break
        except PlaywrightTimeout:
            continue
    page.get_by_role("option", name=option, exact=True).first.click()


def open_case(page, case_id: int) -> float:  # noqa: ANN001
    go(page, lambda p: wait_idle(p), "Cases")
    page.get_by_role("tab", name="All cases").click()
    button = page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Open")
    return timed(
        page, button,
        lambda: page.get_by_role("tab", name="Call log").wait_for(),
    )  # fmt: skip


def run(repeats: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {
        k: [] for k in ("open case", "save", "log call", "generate letter", "move status")
    }
    with tempfile.TemporaryDirectory(prefix="bench-nav-") as tmp:
        db_path = Path(tmp) / "var" / "secondlook.db"
        db_url = f"sqlite:///{db_path}"
        url, process, _log = start_streamlit(Path(tmp), {"SECONDLOOK_DB_PATH": str(db_path)})
        try:
            case_id = prepare(db_url)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                page = browser.new_context(viewport=DESKTOP).new_page()
                page.set_default_timeout(60_000)
                sign_in(page, lambda p: (p.wait_for_timeout(150), wait_idle(p)), url, "admin",
                        PASSWORD)  # fmt: skip
                for i in range(repeats):
                    results["open case"].append(open_case(page, case_id))
                    version = version_now(db_url, case_id)
                    # save: a changed fact
                    page.get_by_role("tab", name="Case facts").click()
                    page.get_by_text("Second-opinion provider", exact=True).click()
                    facts = page.locator("[data-testid='stForm']").filter(
                        has=page.get_by_role("button", name="Save case facts")
                    )
                    textbox(facts, "Physician").first.fill(f"Dr. Bench {i}")
                    button = facts.get_by_role("button", name="Save case facts")
                    results["save"].append(timed(page, button,
                                                 caption_shows(page, version + 1)))  # fmt: skip
                    # log call
                    page.get_by_role("tab", name="Call log").click()
                    textbox(page, "Who you spoke with").fill("Dana, UM nurse")
                    page.get_by_role("textbox", name="What was said").fill(f"Bench call {i}.")
                    button = page.get_by_role("button", name="Add to call log")
                    results["log call"].append(timed(page, button,
                                                     caption_shows(page, version + 2)))  # fmt: skip
                    # generate letter
                    page.get_by_role("tab", name="Letters").click()
                    count = page.get_by_role("button", name="Word (DOCX)").count()
                    button = page.get_by_role("button", name="Generate letter")
                    results["generate letter"].append(timed(
                        page, button,
                        lambda n=count: page.wait_for_function(
                            "n => Array.from(document.querySelectorAll('button'))"
                            ".filter(b => b.innerText.includes('Word (DOCX)')).length > n", arg=n
                        ),
                    ))  # fmt: skip
                    # move status: denied -> appeal, next time appeal -> denied (one step back)
                    form = page.locator("[data-testid='stForm']").filter(
                        has=page.get_by_role("button", name="Save status and navigator")
                    )
                    target = "Appeal" if i % 2 == 0 else "Denied"
                    choose(page, form.get_by_role("combobox", name="Move to"), target)
                    button = form.get_by_role("button", name="Save status and navigator")
                    results["move status"].append(timed(page, button,
                                                        caption_shows(page, version + 3)))  # fmt: skip
                browser.close()
        finally:
            stop_process(process)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    results = run(args.repeats)
    load_after = os.getloadavg()
    print(f"navigator click-to-updated, Chromium, {args.repeats} repeats (ms)")
    print("load average (1, 5, 15 min) before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}"
          .format(*load_before, *load_after))  # fmt: skip
    print(f"{'action':<16} {'median':>8} {'min':>8} {'max':>8}")
    for action, values in results.items():
        print(f"{action:<16} {statistics.median(values):>8.0f} {min(values):>8.0f} "
              f"{max(values):>8.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
