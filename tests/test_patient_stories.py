"""Six patients whose plans are not in our list, in a real browser, at desktop and phone width.

Each story goes the way the patient would: the way in, "My plan is not in the list", what she
reads on her plan card, her plan's letter and her Summary of Benefits and Coverage, her answers,
then every letter the answer suggests downloaded as Word and PDF and opened (python-docx,
pdftotext). axe-core (npm, pinned in scripts/setup.sh) checks every patient page for WCAG 2.1
A and AA violations. Screenshots and each letter's first page (PNG) go to screenshots/stories/
for a person to look at.

The denial story runs once more in Spanish: she picks Español on the first page and every label
the story reads is the Spanish one for the same message (`spanish`, from data/text and
data/fields). She downloads each letter in English, to send, and its Spanish reading copy.
"""

from __future__ import annotations

import io
import json
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import docx
import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots" / "stories"
AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _flat(data, prefix: str, out: dict[str, str]) -> dict[str, str]:
    if isinstance(data, dict):
        for key, value in data.items():
            _flat(value, f"{prefix}.{key}", out)
    elif isinstance(data, str):
        out[prefix] = " ".join(data.split())
    return out


@cache
def _words(language: str) -> dict[str, str]:
    """Every page word of a language by its place in the data files."""
    out: dict[str, str] = {}
    _flat(yaml.safe_load((ROOT / "data/fields" / f"{language}.yaml").read_text()), "fields", out)
    for path in sorted((ROOT / "data/text" / language).glob("*.yaml")):
        _flat(yaml.safe_load(path.read_text()), path.stem, out)
    return out


def spanish(english: str) -> str:
    """The Spanish a page shows where the English page shows `english` (the same message)."""
    from coverage.base import STATE_NAMES, state_name

    states = {name: code for code, name in STATE_NAMES.items()}
    if english in states:  # a state's name (coverage/base.py)
        return state_name(states[english], "es")
    en, es = _words("en"), _words("es")
    found = {es[place] for place, words in en.items() if words == english and place in es}
    assert len(found) == 1, f"no single Spanish for {english!r}: {found}"
    return found.pop()


def english(words: str) -> str:
    return words


@dataclass(frozen=True)
class Story:
    key: str
    route: str  # the words of the way in
    market: str  # the words of "How do you get this plan?"
    state: str | None
    patient: str
    plan: dict[str, str] = field(default_factory=dict)  # plan details: label -> text
    plan_choices: dict[str, str] = field(default_factory=dict)  # label -> option
    choices: dict[str, str] = field(default_factory=dict)  # later steps: label -> option
    dates: dict[str, str] = field(default_factory=dict)  # label -> MM/DD/YYYY
    # Letter details of her own on the letters page (group -> label -> text), from her papers.
    letter_details: dict[str, dict[str, str]] = field(default_factory=dict)


APPEALS = {
    "Mailing address for appeals": "Appeals Unit\nPO Box 9000\nSt. Louis, MO 63101",
    "Fax number for requests for approval": "314-555-0102",
}

STORIES = (
    Story(
        "employer-ppo",
        "I want a second opinion",
        "Through a job (mine or a family member's)",
        "Missouri",
        "Dana Storyline",
        plan={"Plan name": "Gold PPO 1500", "Company that runs the plan": "Acme Health", **APPEALS},
        plan_choices={
            "What type of plan is it?": "PPO",
            "Does your employer pay the medical bills itself?": "No",
        },
        choices={
            "Did you find out about this cancer in the last few months?": "Yes",
            "Is this doctor in your plan's network?": "No",
            "Does your plan's network have a doctor who treats your kind of cancer?": "No",
        },
    ),
    Story(
        "medicare-surgery",
        "I want a second opinion",
        "Original Medicare (the red, white and blue card)",
        "Missouri",
        "Walter Storyline",
        choices={
            "Has a doctor said you need surgery?": "Yes",
            "Does this doctor accept Medicare?": "Yes",
        },
    ),
    Story(
        "denied-urgent",
        "My plan said no",
        "Through a job (mine or a family member's)",
        "Missouri",
        "Rosa Storyline",
        plan=APPEALS,
        choices={
            "Has your plan already said no to this second opinion?": "Yes",
            "Has a doctor said that waiting could harm your health?": "Yes",
        },
        dates={
            "Date printed on the letter that said no": "11/20/2026",
            "Date you got that letter": "11/23/2026",
        },
        # Her plan's letter names where to ask for the outside review (no list knows it).
        letter_details={
            "Where to ask for an outside review": {
                "Who the letter says to ask for an outside review (name or office)": (
                    "Example Review Organization"
                ),
                "The address the letter gives for an outside review": (
                    "PO Box 4000\nJefferson City, MO 65102"
                ),
            }
        },
    ),
    Story(
        "medicaid",
        "I want a second opinion",
        "Medicaid, through a health plan",
        "Missouri",
        "Mia Storyline",
        plan={"Plan name": "Show-Me Care", **APPEALS},
        choices={"Is this doctor in your Medicaid plan's network?": "No"},
    ),
    Story(
        "medicare-advantage",
        "It's urgent",
        "A Medicare Advantage plan (Medicare from a private company)",
        "Missouri",
        "Abe Storyline",
        plan={"Plan name": "River Valley Advantage", **APPEALS},
        plan_choices={"What type of plan is it?": "HMO"},
        choices={
            "Has a doctor said that waiting could harm your health?": "Yes",
            "Is this doctor in your Medicare Advantage plan's network?": "No",
        },
    ),
    Story(
        "marketplace-epo",
        "I want a second opinion",
        "I bought it myself, or through the Marketplace",
        "Illinois",
        "Ivy Storyline",
        plan={
            "Plan name": "Prairie Silver EPO",
            "What you pay to see a specialist, in dollars (copay)": "60",
            **APPEALS,
        },
        plan_choices={
            "What type of plan is it?": "EPO",
            "Do you have your plan's Summary of Benefits and Coverage?": "Yes",
            "Does it say you need a referral to see a specialist?": "No",
            "Does it say you need approval before you see a specialist?": "Yes",
        },
        choices={"Is this doctor in your plan's network?": "No"},
    ),
)

LETTER_DETAILS = {
    "About you": {
        "Date of birth": "03/04/1961",
        "Member ID (on your plan card)": "MS-204-118",
        "Your mailing address": "12 Elm Street\nSpringfield, MO 65801",
    },
    "The second-opinion doctor": {
        "The second-opinion doctor's name": "Dr. Ada Example",
        "Second-opinion doctor's address": "1 Example Plaza\nSt. Louis, MO 63110",
    },
    "Your current cancer doctor": {"Your cancer doctor's name": "Dr. Rae Example"},
    "Where your records are": {
        "Name of the office that has your records": "Example Pathology",
        "That office's fax": "314-555-0101",
    },
}


# --- helpers ----------------------------------------------------------------------------------


def click(page, wait_for_app, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_for_app(page)


def advance(page, wait_for_app, button) -> None:
    """Click a button that moves to another step, and wait until the next step is drawn (under
    load a rerun can start late: acting on the old step would lose answers)."""
    before = page.locator("h1, h3").all_inner_texts()
    button.click()
    page.wait_for_function(
        "(before) => JSON.stringify(Array.from(document.querySelectorAll('h1, h3'),"
        " e => e.innerText)) !== JSON.stringify(before)",
        arg=before,
        timeout=60_000,
    )
    wait_for_app(page)


def radio(page, label: str, option: str) -> None:
    page.get_by_role("radiogroup", name=label).get_by_text(option, exact=True).click()


def fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def pick(page, label: str, option: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


def date(page, label: str, value: str) -> None:
    """A date field of segments (month, day, year): type the digits into the first one, then
    read the segments back. Under load the calendar can open late and take the keys, leaving
    the field empty, so a field that does not show the date is typed again (a person would
    see it and do the same)."""
    group = page.get_by_role("group", name=label, exact=True)
    wanted = [str(int(part)) for part in value.split("/")]
    shown: list[str | None] = []
    for _ in range(3):
        group.get_by_role("spinbutton").first.click()
        page.keyboard.type(value.replace("/", ""))
        page.keyboard.press("Escape")  # close the calendar (its "Next" month button would clash)
        page.get_by_role("heading").first.click()
        shown = [s.get_attribute("aria-valuenow") for s in group.get_by_role("spinbutton").all()]
        if shown == wanted:
            return
    raise AssertionError(f"the date field {label!r} shows {shown} after typing {value}")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(document.body.scrollHeight, ...Array.from("
        "document.querySelectorAll('[data-testid=stMain], section'), e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def axe_violations(page) -> list[str]:
    """WCAG 2.1 A/AA violations on the page as axe-core finds them (rule: target, …)."""
    assert AXE.is_file(), f"{AXE} is missing: run scripts/setup.sh test (npm axe-core)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        f"{v['id']} ({v['impact']}): "
        + json.dumps([(n["target"], n["html"][:160]) for n in v["nodes"]][:4])
        for v in result["violations"]
    ]


def check_page(page, name: str, seen: dict[str, list[str]]) -> None:
    shot(page, name)
    seen[name] = axe_violations(page)
    (SHOTS / f"{name}-axe.json").write_text(json.dumps(seen[name], indent=1))


def fill_step(page, story: Story, t=english) -> None:
    for label, option in story.choices.items():
        if page.get_by_role("radiogroup", name=t(label)).count():
            radio(page, t(label), t(option))
    for label, value in story.dates.items():
        if page.get_by_role("group", name=t(label), exact=True).count():
            date(page, t(label), value)


# --- the story --------------------------------------------------------------------------------


def live_the_story(
    page, wait_for_app, url: str, story: Story, width: str, t=english
) -> dict[str, list[str]]:
    """`t`: the words of the page's language for the English words of the story."""
    name = f"{story.key}-{width}"
    seen: dict[str, list[str]] = {}
    page.goto(url)
    wait_for_app(page)
    if t is spanish:
        radio(page, "Language / Idioma", "Español")
        page.get_by_role("radiogroup", name=t("What brings you here?")).wait_for()
        wait_for_app(page)
        page.wait_for_function("document.documentElement.lang === 'es'")
    check_page(page, f"{name}-1-start", seen)
    radio(page, t("What brings you here?"), t(story.route))
    advance(page, wait_for_app, page.get_by_role("button", name=t("Next"), exact=True))
    radio(page, t("How do you want to tell us about your plan?"), t("My plan is not in the list"))
    wait_for_app(page)
    radio(page, t("How do you get this plan?"), t(story.market))
    if story.state:
        pick(page, t("Which state do you live in?"), t(story.state))
    check_page(page, f"{name}-2-plan", seen)
    advance(page, wait_for_app, page.get_by_role("button", name=t("Next"), exact=True))
    if page.get_by_role("heading", name=t("About your plan")).count():
        for label, value in story.plan.items():
            fill(page, t(label), value)
        for label, option in story.plan_choices.items():
            radio(page, t(label), t(option))
        check_page(page, f"{name}-3-plan-details", seen)
        advance(page, wait_for_app, page.get_by_role("button", name=t("Next"), exact=True))
    for number in range(4, 12):  # the route's steps, then the answer
        if page.get_by_role("heading", name=t("Your answer")).count():
            break
        fill_step(page, story, t)
        check_page(page, f"{name}-{number}-step", seen)
        advance(page, wait_for_app, page.get_by_test_id("stBaseButton-primaryFormSubmit"))
    page.get_by_role("heading", name=t("What to do next")).wait_for()
    check_page(page, f"{name}-answer", seen)

    advance(page, wait_for_app, page.get_by_role("link", name=t("Get my letters")).first)
    fill(page, t("Your full name"), story.patient)
    for group, answers in (LETTER_DETAILS | story.letter_details).items():
        expander = page.get_by_text(t(group), exact=True).first
        if not page.get_by_label(t(next(iter(answers))), exact=True).is_visible():
            expander.click()
        for label, value in answers.items():
            if label == "Date of birth":
                date(page, t(label), value)
            else:
                fill(page, t(label), value)
    click(page, wait_for_app, t("Save these details"))
    page.get_by_text(t("Saved. Your letters now use these details.")).wait_for()
    check_page(page, f"{name}-letters", seen)
    download_every_suggested_letter(page, story, name, t)
    for path, title in (("guide", "Getting a second opinion"), ("save", "Save or open my answers")):
        if t is spanish:  # through the menu, in the same session: the pages stay in Spanish
            advance(page, wait_for_app, page.get_by_role("link", name=t(title), exact=True))
            page.get_by_role("heading", name=t(title), exact=True).wait_for()
            page.wait_for_function("document.documentElement.lang === 'es'")
        else:
            page.goto(f"{url}/{path}")
            wait_for_app(page)
        check_page(page, f"{name}-{path}", seen)
    return seen


def download_every_suggested_letter(page, story: Story, name: str, t=english) -> None:
    """Every letter under "Letters we suggest" (the other letters are in a closed expander):
    the letter to send, in English, and in Spanish the reading copy beside it."""
    missing = page.get_by_text(t("To finish this letter, add:"))
    assert missing.count() == 0 or not missing.first.is_visible(), (
        "a suggested letter is unfinished"
    )
    download_letters(page, story, name, t("Download Word file (.docx)"), t("Download PDF"))
    if t is spanish:
        copies = ("Copia en español para leer (.docx)", "Copia en español para leer (PDF)")
        download_letters(page, story, name, *copies, reading_copy=True)


def download_letters(
    page, story: Story, name: str, docx_label: str, pdf_label: str, *, reading_copy=False
) -> None:
    """Each visible letter with these buttons as Word and PDF, opened and its first page shot.
    A letter to the plan is in English; a reading copy says it is not to be sent."""
    docx_buttons = page.get_by_role("button", name=docx_label, exact=True)
    pdf_buttons = page.get_by_role("button", name=pdf_label, exact=True)
    visible = [i for i in range(docx_buttons.count()) if docx_buttons.nth(i).is_visible()]
    assert visible, "no letter to download"
    for index in visible:
        with page.expect_download() as word:
            docx_buttons.nth(index).click()
        document = docx.Document(io.BytesIO(Path(word.value.path()).read_bytes()))
        text = "\n".join(p.text for p in document.paragraphs)
        text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
        assert story.patient in text, word.value.suggested_filename
        if reading_copy:
            assert word.value.suggested_filename.endswith("-es.docx")
            assert text.startswith("TRADUCCIÓN PARA QUE USTED LA LEA: NO ENVÍE ESTA COPIA")
        else:
            assert "Sincerely," in text, word.value.suggested_filename  # the letter to send
        with page.expect_download(timeout=180_000) as pdf:
            pdf_buttons.nth(index).click()
        pdf_path = Path(pdf.value.path())
        assert pdf_path.read_bytes().startswith(b"%PDF")
        words = subprocess.run(
            ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert story.patient in words, pdf.value.suggested_filename
        stem = pdf.value.suggested_filename.removesuffix(".pdf").removeprefix("second-look-")
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf_path),
             str(SHOTS / f"{name}-letter-{stem}")],
            check=True,
        )  # fmt: skip


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.key)
def test_story_at_desktop_width(streamlit_server, page, wait_for_app, story):
    seen = live_the_story(page, wait_for_app, streamlit_server.url, story, "desktop")
    assert {name: found for name, found in seen.items() if found} == {}
    assert story.patient not in streamlit_server.log()


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.key)
def test_story_at_phone_width(streamlit_server, phone_page, wait_for_app, story):
    seen = live_the_story(phone_page, wait_for_app, streamlit_server.url, story, "phone")
    assert {name: found for name, found in seen.items() if found} == {}
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


# She reads Spanish; her employer's plan pays the bills itself (self-funded), said no, and a
# doctor says waiting could harm her.
SPANISH_STORY = Story(
    "denied-self-funded-es",
    "My plan said no",
    "Through a job (mine or a family member's)",
    "Missouri",
    "Lucía Storyline",
    plan=APPEALS,
    plan_choices={
        "What type of plan is it?": "PPO",
        "Does your employer pay the medical bills itself?": "Yes",
    },
    choices={
        "Has your plan already said no to this second opinion?": "Yes",
        "Has a doctor said that waiting could harm your health?": "Yes",
    },
    dates={
        "Date printed on the letter that said no": "11/20/2026",
        "Date you got that letter": "11/23/2026",
    },
)


def test_the_denial_story_in_spanish(streamlit_server, page, wait_for_app):
    """She reads Spanish: the pages, the answer and the steps are in Spanish, and beside each
    letter to her plan (in English, to send) she gets its Spanish reading copy."""
    story = SPANISH_STORY
    seen = live_the_story(page, wait_for_app, streamlit_server.url, story, "desktop", spanish)
    assert {name: found for name, found in seen.items() if found} == {}
    assert story.patient not in streamlit_server.log()
