"""The patient pages under AppTest: check → answer → letters, the generic-plan path, resume.

AppTest cannot read downloaded bytes: the bytes are tested below the UI (test_app_ics.py,
test_app_patient_flow.py) and the real download in a browser (test_app_browser.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import letters
from coverage.case import Case
from secondlook import notices, service
from secondlook import patient_flow as flow
from secondlook import patient_form as form
from secondlook.safe_text import shown

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
CHECK = "app_pages/patient_check.py"
ANSWER = "app_pages/patient_answer.py"
LETTERS = "app_pages/patient_letters.py"
GUIDE = "app_pages/patient_guide.py"
SAVE = "app_pages/patient_save.py"
EXAMPLES = ROOT / "examples" / "cases"


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def key(step: str, field: str, version: int = 0) -> str:
    return f"{step}:{field}:{version}"


def submit(at: AppTest, form: str, label: str) -> AppTest:
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in (at.success, at.warning, at.info, at.error):
        parts += [a.value for a in kind]
    return "\n".join(parts)


def choose_route(at: AppTest, route: str = "second_opinion") -> AppTest:
    at.radio(key=key("start", "route")).set_value(route)
    return submit(at, "start", "Next")


def pick_catalog_plan(at: AppTest, plan_id: str, route: str = "second_opinion") -> AppTest:
    choose_route(at, route)
    at.radio(key=key("plan", "how")).set_value("find")
    at.radio(key=key("plan", "pick")).set_value(plan_id)
    return submit(at, "plan_pick", "Use this plan")


def session_case(at: AppTest) -> Case:
    return at.session_state["patient_case"]


def test_every_page_runs_before_any_answer():
    at = start()
    assert at.title[0].value == "Does my plan pay for a second opinion?"
    for page in (ANSWER, LETTERS, GUIDE, SAVE):
        at.switch_page(page).run()
        assert not at.exception, page
    at.switch_page(ANSWER).run()
    assert "First, tell us about your plan" in texts(at)


def test_check_then_answer_then_letters():
    at = pick_catalog_plan(start(), "mo-ppo-gateway-employer-insured")
    assert at.subheader[0].value == "About your cancer"
    at.radio(key=key("cancer", "diagnosis.newly_diagnosed")).set_value("yes")
    submit(at, "step_cancer", "Next")
    at.radio(key=key("reasons", "reasons.before_treatment_starts")).set_value("yes")
    submit(at, "step_reasons", "Next")
    at.radio(key=key("doctor", "provider.in_network")).set_value("no")
    at.radio(key=key("doctor", "qualified_in_network_specialist")).set_value("no")
    submit(at, "step_doctor", "Next")
    assert at.subheader[0].value == "How soon you need it"
    submit(at, "step_timing", "Next")
    assert at.subheader[0].value == "Has your plan said no?"
    submit(at, "step_denial", "See my answer")

    assert at.title[0].value == "Your answer"
    case = session_case(at)
    assert case.plan == "mo-ppo-gateway-employer-insured"
    assert case.diagnosis.newly_diagnosed == "yes"
    assert case.provider.in_network == "no"
    expected = service.check(case)
    alerts = [a.value for a in at.success] + [a.value for a in at.warning]
    assert alerts[0] == f"**{expected.headline}**"
    steps = [c.label for c in at.checkbox][: len(flow.action_steps(expected))]
    assert steps == [f"{n}. {s}" for n, s in enumerate(flow.action_steps(expected), 1)]
    assert flow.payment_note() in texts(at)
    labels = [b.label for b in at.get("download_button")]
    if any(d.due for d in expected.deadlines):
        assert "Add the dates to my calendar (.ics)" in labels
    assert "Save my answers (download a file)" in labels

    at.switch_page(LETTERS).run()
    assert not at.exception
    assert at.title[0].value == "Your letters"
    at.text_input(key=key("about_you", "patient.name")).set_value("Test Person")
    at.text_input(key=key("about_you", "patient.member_id")).set_value("M123")
    at.text_area(key=key("records", "records_from.0.address_lines")).set_value("1 Main St\nTown")
    at.text_input(key=key("records", "records_from.0.name")).set_value("Mercy Pathology")
    at.text_input(key=key("second_doctor", "provider.name")).set_value("Dr. Ada Example")
    at.text_area(key=key("second_doctor", "provider.address_lines")).set_value("2 Oak Rd\nCity")
    at.text_input(key=key("your_doctor", "referring_physician.name")).set_value("Dr. Bo Example")
    at.date_input(key=key("about_you", "patient.date_of_birth")).set_value(dt.date(1970, 2, 3))
    submit(at, "letter_details", "Save these details")
    assert "Saved. Your letters now use these details." in texts(at)
    case = session_case(at)
    assert (case.patient.name, case.patient.member_id) == ("Test Person", "M123")
    assert case.records_from[0].address_lines == ["1 Main St", "Town"]
    assert case.patient.date_of_birth == dt.date(1970, 2, 3)
    labels = [b.label for b in at.get("download_button")]
    answer = service.check(case)
    plan = service.resolve_plan(case.plan)
    assert answer.letters
    ready = [t for t in flow.letter_info() if letter_ready(t, case, plan, answer)]
    assert set(answer.letters) <= set(ready)  # every recommended letter can now be written
    assert len(ready) < len(flow.letter_info())  # an appeal needs a denial: not ready
    assert labels.count("Download Word file (.docx)") == len(ready)
    assert labels.count("Download PDF") == len(ready)
    shown = texts(at)
    for letter_type in answer.letters:
        assert flow.letter_info()[letter_type][0] in shown
    assert "To finish this letter, add:" in shown
    assert flow.how_to_send()[0] in shown
    # Nothing the suggested letters need is missing: the detail groups are folded away.
    assert opened_groups(at) == set()


def opened_groups(at: AppTest) -> set[str]:
    titles = {group.title for group in form.LETTER_FIELD_GROUPS}
    return {e.label for e in at.expander if e.label in titles and e.proto.expanded}


def letter_ready(letter_type, case, plan, answer) -> bool:
    try:
        letters.build_context(letter_type, case, plan, answer)
    except letters.LetterError:
        return False
    return True


def test_letters_say_what_is_missing():
    at = pick_catalog_plan(start(), "mo-ppo-gateway-employer-insured")
    submit(at, "step_cancer", "Skip the rest and see my answer")
    at.switch_page(LETTERS).run()
    case = session_case(at)
    answer = service.check(case)
    plan = service.resolve_plan(case.plan)
    missing = []
    for letter_type in answer.letters:
        try:
            letters.build_context(letter_type, case, plan, answer)
        except letters.MissingFieldError as err:
            missing += [path for path, _ in err.fields]
    wanted = form.groups_needing(missing)
    assert "about_you" in wanted
    titles = {g.title for g in form.LETTER_FIELD_GROUPS if g.key in wanted}
    assert opened_groups(at) == titles
    warnings = [w.value for w in at.warning]
    assert warnings and all(w.startswith("To finish this letter, add:") for w in warnings)
    assert any("Your full name (under About you, above)" in w for w in warnings)
    assert not at.get("download_button") or all(
        b.label.startswith("Save") for b in at.get("download_button")
    )


def test_back_keeps_the_answers():
    at = pick_catalog_plan(start(), "original-medicare")
    at.radio(key=key("cancer", "diagnosis.rare_or_aggressive")).set_value("yes")
    submit(at, "step_cancer", "Next")
    submit(at, "step_reasons", "Back")
    assert at.subheader[0].value == "About your cancer"
    assert at.radio(key=key("cancer", "diagnosis.rare_or_aggressive")).value == "yes"


def test_skip_to_the_answer_from_the_first_questions():
    at = pick_catalog_plan(start(), "original-medicare")
    submit(at, "step_cancer", "Skip the rest and see my answer")
    assert at.title[0].value == "Your answer"
    assert not at.exception


def unlisted(at: AppTest, market: str, state: str | None = "MO", route="second_opinion"):
    choose_route(at, route)
    at.radio(key=key("plan", "how")).set_value("unlisted")
    at.run()
    at.radio(key=key("plan", "market_reported")).set_value(market)
    if state:
        at.selectbox(key=key("plan", "state_own")).set_value(state)
    return submit(at, "plan_unlisted", "Next")


def test_a_plan_not_in_the_list_is_asked_about_and_says_what_to_ask():
    at = unlisted(start(), "employer_group")
    assert at.subheader[0].value == "About your plan"
    case = session_case(at)
    assert case.plan is None and case.reported_plan.market == "employer_group"
    assert case.patient.state == "MO"
    at.text_input(key=key("plan_details", "reported_plan.name")).set_value("Gold PPO 1500")
    at.radio(key=key("plan_details", "reported_plan.plan_type")).set_value("PPO")
    at.text_area(key=key("plan_details", "reported_plan.appeals_to.address_lines")).set_value(
        "PO Box 1\nSt. Louis, MO 63101"
    )
    submit(at, "step_plan_details", "Next")
    assert at.subheader[0].value == "About your cancer"
    case = session_case(at)
    plan = service.plan_for(case)
    assert (plan.market, plan.situs_state, plan.plan_type) == ("employer_group", "MO", "PPO")
    assert plan.name == "Gold PPO 1500"
    assert plan.appeals.appeals_contact.address_lines == ["PO Box 1", "St. Louis, MO 63101"]
    submit(at, "step_cancer", "Skip the rest and see my answer")
    shown = texts(at)
    assert service.check(case).headline in shown
    # "Is your plan self-funded?" is asked on the plan's details: the button goes back there.
    assert "plan.funding" in [n.field for n in service.check(case).info_needed]
    [button] = [b for b in at.button if b.label == "Answer these questions"]
    button.click().run()
    assert at.subheader[0].value == "About your plan"
    assert at.text_input(key=key("plan_details", "reported_plan.name")).value == "Gold PPO 1500"


def test_a_plan_not_in_the_list_needs_a_state():
    at = unlisted(start(), "individual", state=None)
    assert [shown(e.value) for e in at.error] == [
        "Please check the answer marked below.",
        "Please pick your state.",
    ]
    assert session_case(at).reported_plan is None


def test_original_medicare_not_found_in_the_list_is_original_medicare():
    at = unlisted(start(), "original_medicare", state=None)
    assert session_case(at).plan == "original-medicare"
    assert at.subheader[0].value == "About your cancer"


def test_not_sure_what_kind_of_plan_says_what_we_need():
    at = unlisted(start(), "unknown", state=None)
    assert at.title[0].value == "Your answer"
    shown = texts(at)
    assert flow.market_unknown_headline() in shown
    assert flow.how_to_tell_your_plan()[0] in shown


def test_answer_these_questions_goes_to_the_step_that_asks_them():
    at = pick_catalog_plan(start(), "mo-ppo-gateway-employer-insured")
    submit(at, "step_cancer", "Skip the rest and see my answer")
    answer = service.check(session_case(at))
    assert answer.info_needed
    [button] = [b for b in at.button if b.label == "Answer these questions"]
    button.click().run()
    expected = form.step_for_fields(
        [n.field for n in answer.info_needed], "second_opinion", reported=False
    )
    assert at.title[0].value == "Does my plan pay for a second opinion?"
    assert at.subheader[0].value == form.step_title(expected)


def test_bad_letter_details_are_named_and_not_saved():
    at = pick_catalog_plan(start(), "mo-ppo-gateway-employer-insured")
    submit(at, "step_cancer", "Skip the rest and see my answer")
    at.switch_page(LETTERS).run()
    at.text_input(key=key("second_doctor", "provider.npi")).set_value("12")
    submit(at, "letter_details", "Save these details")
    summary, under_the_field = at.error
    assert summary.value == "Please check the answer marked below."
    assert shown(under_the_field.value) == "An NPI is 10 digits."
    assert session_case(at).provider.npi is None
    # The message sits right under its question, in the expander that was opened for it.
    group = next(e for e in at.expander if e.label == "The second-opinion doctor")
    assert group.proto.expanded
    assert any(shown(e.value) == "An NPI is 10 digits." for e in group.error)


@pytest.mark.parametrize(
    "name", ["mo-self-funded-denied-urgent.yaml", "medicaid-out-of-network.yaml"]
)
def test_resume_from_a_saved_file(name):
    case = service.load_case(EXAMPLES / name)
    data = flow.case_to_yaml(case)
    at = start()
    at.switch_page(SAVE).run()
    at.file_uploader[0].upload(flow.CASE_FILE_NAME, data, "application/x-yaml")
    submit(at, "open_case", "Open my answers")
    assert "Your answers are back." in texts(at)
    assert session_case(at) == case
    at.switch_page(ANSWER).run()
    assert service.check(case).headline in texts(at)
    # The guided form shows the loaded answers (widgets are rebuilt for the new case).
    at.switch_page(CHECK).run()
    last = form.sequence(form.route_of(case), reported=False)[-1]
    assert at.subheader[0].value == form.step_title(last)
    field = form.step(last).questions[0].field
    assert at.radio(key=key(last, field, 1)).value == form.get_answer(case, field)


def test_a_bad_file_names_the_question_in_plain_words():
    at = start()
    at.switch_page(SAVE).run()
    text = b"plan: original-medicare\ndiagnosis:\n  newly_diagnosed: maybe\n"
    at.file_uploader[0].upload("mine.yaml", text, "application/x-yaml")
    submit(at, "open_case", "Open my answers")
    (error,) = at.error
    assert "Did you find out about this cancer in the last few months?: Pick one" in shown(
        error.value
    )
    assert "diagnosis.newly_diagnosed" not in shown(error.value) and "Input should" not in shown(
        error.value
    )
    assert "patient_case" not in at.session_state or session_case(at).plan is None


def test_a_file_for_a_plan_we_do_not_have_is_refused():
    at = start()
    at.switch_page(SAVE).run()
    at.file_uploader[0].upload("old.yaml", b"plan: no-such-plan\n", "application/x-yaml")
    submit(at, "open_case", "Open my answers")
    (error,) = at.error
    assert "no longer in our list" in shown(error.value) and "no-such-plan" not in shown(
        error.value
    )


def test_guidance_page_shows_every_section_and_the_script():
    from secondlook import guidance

    at = start()
    at.switch_page(GUIDE).run()
    assert [s.value for s in at.subheader] == [s.title for s in guidance.sections()]
    shown = texts(at)
    assert guidance.ask_script() in shown
    assert "Basic Laboratory" in shown  # named only to say they do not see patients


def test_plan_search_narrows_the_list():
    at = choose_route(start())
    at.text_input(key=key("plan", "search")).set_value("missouri gateway")
    submit(at, "plan_search", "Search")
    assert at.radio(key=key("plan", "pick")).options == ["Gateway Example Health PPO 1500"]
    at.text_input(key=key("plan", "search")).set_value("no such plan anywhere")
    submit(at, "plan_search", "Search")
    assert "We could not find that plan." in texts(at)


NOTICES = ROOT / "tests" / "fixtures" / "notices"


def read_letter(at: AppTest, name: str) -> AppTest:
    """Upload her plan's letter and wait (the page keeps running) until the reading is done."""
    at.file_uploader(key=key("notice", "file")).upload(
        "letter.pdf", (NOTICES / name).read_bytes(), "application/pdf"
    )
    submit(at, "notice_read", "Read the letter")
    deadline = time.monotonic() + 60
    while "patient_notice_reading" in at.session_state and time.monotonic() < deadline:
        time.sleep(0.1)
        at.run()
    assert "patient_notice_reading" not in at.session_state
    assert not at.exception
    return at


def test_the_denial_letter_is_read_and_each_value_checked_before_it_counts():
    at = pick_catalog_plan(start(), "mo-ppo-riverfront-employer-self-funded", route="denied")
    assert at.subheader[0].value == "Has your plan said no?"
    read_letter(at, "erisa-self-funded-initial.pdf")
    assert session_case(at).denial is None  # nothing counts before she checks it
    assert at.date_input(key=key("notice", "denial.notice_date")).value == dt.date(2026, 3, 2)
    assert "Found on page 1, line" in shown(texts(at))
    # A plan from our list keeps its own terms: the letter's plan details are not offered.
    assert not [w for w in at.text_input if w.key == key("notice", "reported_plan.name")]
    at.text_input(key=key("notice", "denial.reference_number")).set_value("UM-2026-0418-338")
    submit(at, "notice_confirm", "Use these values")
    denial = session_case(at).denial
    assert denial.notice_date == dt.date(2026, 3, 2)
    assert denial.reference_number == "UM-2026-0418-338"  # her correction wins
    assert denial.send_to.fax == "(402) 555-0187"
    assert denial.send_to.address_lines == ["P.O. Box 22150", "Omaha, NE 68122-0150"]
    assert at.radio(key=key("denial", "denial", 1)).value == "yes"  # the step shows them
    assert "We filled in the values from your letter." in shown(texts(at))


def test_the_plan_details_on_her_letter_fill_in_the_plan_she_told_us_about():
    at = unlisted(start(), "employer_group", route="denied")
    at.radio(key=key("plan_details", "reported_plan.plan_type")).set_value("PPO")
    submit(at, "step_plan_details", "Next")
    assert at.subheader[0].value == "Has your plan said no?"
    read_letter(at, "urgent-expedited.pdf")
    assert session_case(at).reported_plan.name is None  # nothing counts before she checks it
    name = at.text_input(key=key("notice", "reported_plan.name"))
    assert name.value == "Tidewater Alliance HMO Gold"
    assert at.radio(key=key("notice", "reported_plan.self_funded")).value == "no"
    # She said PPO; the letter says HMO: her answer stays, and the line under it says so.
    assert at.radio(key=key("notice", "reported_plan.plan_type")).value == "PPO"
    lines = shown(texts(at))
    assert "Your letter says \u201cHMO\u201d (page 1, line 9). We kept what you told us." in lines
    assert lines.count("Found on page 1, line 9.") == 1  # the plan's name
    submit(at, "notice_confirm", "Use these values")
    plan = session_case(at).reported_plan
    assert (plan.name, plan.plan_type, plan.self_funded) == (
        "Tidewater Alliance HMO Gold",
        "PPO",
        "no",
    )
    assert session_case(at).denial.reference_number == "EXP-2609-00452"
    assert service.plan_for(session_case(at)).name == "Tidewater Alliance HMO Gold"


def test_the_page_stays_usable_while_her_letter_is_read(monkeypatch):
    release = threading.Event()
    reading = notices.read_notice((NOTICES / "urgent-expedited.pdf").read_bytes(), "letter.pdf")

    def slow_reader(data: bytes, filename: str, **_) -> notices.NoticeReading:
        assert release.wait(60)
        return reading

    monkeypatch.setattr(notices, "read_notice", slow_reader)
    at = pick_catalog_plan(start(), "mo-ppo-riverfront-employer-self-funded", route="denied")
    at.file_uploader(key=key("notice", "file")).upload("letter.pdf", b"%PDF-", "application/pdf")
    submit(at, "notice_read", "Read the letter")
    try:
        assert [s.label for s in at.status] == ["Reading your letter\u2026"]
        # The step's own questions are there to answer meanwhile.
        at.radio(key=key("denial", "denial")).set_value("yes")
        at.run()
        assert not at.exception
        assert at.status
    finally:
        release.set()
    read = time.monotonic() + 30
    while "patient_notice_reading" in at.session_state and time.monotonic() < read:
        time.sleep(0.1)
        at.run()
    assert not at.status
    assert at.date_input(key=key("notice", "denial.notice_date")).value == dt.date(2026, 9, 4)


def test_a_letter_that_cannot_be_read_leaves_her_to_type_the_details(monkeypatch):
    def broken(data: bytes, filename: str, **_):
        raise RuntimeError("Rosa Example at /tmp/x/page-1.png")

    monkeypatch.setattr(notices, "read_notice", broken)
    at = pick_catalog_plan(start(), "mo-ppo-riverfront-employer-self-funded", route="denied")
    at.file_uploader(key=key("notice", "file")).upload("letter.png", b"\x89PNG", "image/png")
    submit(at, "notice_read", "Read the letter")
    for _ in range(50):
        if "patient_notice_reading" not in at.session_state:
            break
        time.sleep(0.1)
        at.run()
    assert [shown(e.value) for e in at.error] == [
        "We could not read this letter. "
        "You can type the details from your letter in the questions below."
    ]
    assert "Rosa" not in texts(at)
    at.radio(key=key("denial", "denial")).set_value("yes")
    at.date_input(key=key("denial", "denial.notice_date")).set_value(dt.date(2026, 3, 2))
    submit(at, "step_denial", "Next")
    assert session_case(at).denial.notice_date == dt.date(2026, 3, 2)
