"""Her plan's letter on the patient pages, below the UI: read in the background with a plain
message when it fails, and the plan details it names offered as answers about her plan."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from coverage.case import Case, ReportedPlan
from secondlook import notices, service
from secondlook import patient_notice as notice

ROOT = Path(__file__).resolve().parent.parent
NOTICES = ROOT / "tests" / "fixtures" / "notices"


def reading_of(name: str) -> notices.NoticeReading:
    return notices.read_notice((NOTICES / name).read_bytes(), name)


def reported(**answers) -> Case:
    plan = ReportedPlan(market="employer_group", **answers)
    return Case(plan=None, reported_plan=plan, patient={"state": "MO"})


# --- reading in the background ---------------------------------------------------------------


def test_reading_returns_at_once_and_the_reading_arrives_later():
    release = threading.Event()
    fixture = reading_of("urgent-expedited.pdf")

    def slow_reader(data: bytes, filename: str) -> notices.NoticeReading:
        assert release.wait(30)
        return fixture

    job = notice.start_reading(b"%PDF-1.4 ...", "letter.pdf", read=slow_reader)
    assert not job.done()  # the page is drawn while the letter is read
    release.set()
    outcome = job.outcome()
    assert job.done()
    assert outcome.problem is None
    assert outcome.reading is fixture


def test_a_letter_that_cannot_be_read_says_why_and_to_type_the_details():
    def encrypted(data: bytes, filename: str):
        raise notices.EncryptedPdf("This PDF is locked with a password.")

    outcome = notice.start_reading(b"x", "letter.pdf", read=encrypted).outcome()
    assert outcome.reading is None
    assert outcome.problem == (
        "This PDF is locked with a password. "
        "You can type the details from your letter in the questions below."
    )


@pytest.mark.parametrize(
    "error",
    [
        notices.ToolMissing("tesseract is not installed on this server (see scripts/setup.sh)"),
        notices.NoticeError("This file could not be read as a denial notice (KeyError)."),
        RuntimeError("Dana Example, member RB123 at /tmp/tmpab12/page-1.png"),
    ],
    ids=["tool missing", "unexpected reader fault", "program error"],
)
def test_a_fault_on_our_side_is_a_plain_sentence(error):
    def broken(data: bytes, filename: str):
        raise error

    problem = notice.start_reading(b"x", "letter.pdf", read=broken).outcome().problem
    assert problem is not None
    for leak in ("scripts/setup.sh", "tesseract", "KeyError", "Dana", "/tmp", "Traceback"):
        assert leak not in problem
    assert problem.endswith("You can type the details from your letter in the questions below.")


def test_too_many_letters_waiting_are_refused_at_once_and_the_count_recovers():
    release = threading.Event()

    def slow_reader(data: bytes, filename: str):
        assert release.wait(30)
        raise notices.NoText("No text could be read from this file.")

    jobs = [
        notice.start_reading(b"x", "a.png", read=slow_reader)
        for _ in range(notice.READERS + notice.MAX_WAITING)
    ]
    refused = notice.start_reading(b"x", "a.png", read=slow_reader)
    assert refused.done()
    assert (
        refused.outcome().problem
        == "Many letters are being read right now. Please try again in a minute."
    )
    release.set()
    assert all(job.outcome().problem for job in jobs)
    again = notice.start_reading(
        b"x", "a.png", read=lambda d, f: reading_of("urgent-expedited.pdf")
    )
    assert again.outcome().reading is not None


# --- what the letter says about her plan -----------------------------------------------------


def test_the_plan_details_of_a_letter_answer_her_plan_questions():
    values = notice.plan_values(reading_of("urgent-expedited.pdf"), reported())
    assert {key: found.value for key, found in values.items()} == {
        "reported_plan.name": "Tidewater Alliance HMO Gold",
        "reported_plan.market": "employer_group",
        "reported_plan.plan_type": "HMO",
        "reported_plan.self_funded": "no",  # "is insured by": fully insured
    }
    assert values["reported_plan.name"].where == "page 1, line 9"
    self_funded = notice.plan_values(reading_of("erisa-self-funded-initial.pdf"), reported())
    assert self_funded["reported_plan.self_funded"].value == "yes"


def test_a_plan_from_our_list_takes_no_plan_details_from_a_letter():
    case = Case(plan="mo-ppo-riverfront-employer-self-funded")
    assert notice.plan_values(reading_of("urgent-expedited.pdf"), case) == {}


def test_a_question_her_kind_of_plan_is_not_asked_is_not_offered():
    values = notice.plan_values(reading_of("medicare-advantage-ndmc.pdf"), reported())
    assert values["reported_plan.market"].value == "medicare_advantage"
    assert "reported_plan.self_funded" not in values  # no self-funded Medicare Advantage plan


def test_a_blank_answer_takes_the_letter_s_value_and_her_own_answer_stays():
    found = notice.plan_values(reading_of("urgent-expedited.pdf"), reported())
    name = found["reported_plan.name"]
    shown, line = notice.prefill(reported(), "reported_plan.name", name)
    assert (shown, line) == ("Tidewater Alliance HMO Gold", "Found on page 1, line 9.")
    hers = reported(name="Gold HMO 500", plan_type="HMO")
    shown, line = notice.prefill(hers, "reported_plan.name", name)
    assert shown == "Gold HMO 500"
    assert line == (
        "Your letter says \u201cTidewater Alliance HMO Gold\u201d (page 1, line 9). We kept what "
        "you told us. Change it if the letter is right."
    )
    assert notice.prefill(hers, "reported_plan.plan_type", found["reported_plan.plan_type"]) == (
        "HMO",
        "Found on page 1, line 9.",
    )


def test_a_letter_from_original_medicare_makes_it_the_plan_from_our_list():
    case = reported().model_copy(
        update={"reported_plan": ReportedPlan(market="original_medicare", name="Medicare")}
    )
    settled = notice.settle_market(case, service.catalog().plans.values())
    assert settled.reported_plan is None
    assert service.plan_for(settled).market == "original_medicare"
    employer = reported(name="Gold PPO")
    assert notice.settle_market(employer, service.catalog().plans.values()) == employer


def test_the_reader_says_page_by_page_how_far_it_is():
    """A scan is read page by page (OCR takes seconds a page): the job knows which page."""
    name = "erisa-self-funded-initial.pdf"  # two pages
    calls: list[tuple[int, int]] = []
    data = (NOTICES / name).read_bytes()
    notices.read_notice(data, name, progress=lambda read, total: calls.append((read, total)))
    assert calls == [(0, 2), (1, 2), (2, 2)]
    job = notice.start_reading(data, name)  # the real reader, in the background
    assert job.outcome().reading is not None
    assert job.pages() == (2, 2)
    assert notice.start_reading(data, name, read=lambda d, n: reading_of(name)).pages() is None
