"""Privacy: member data never reaches the logs, and the patient pages write nothing to disk."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from secondlook import patient_flow as flow
from secondlook.safe_text import shown

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"
PATIENT = "Quillon Testpatient-Privacy"
MEMBER_ID = "QTP-77441"
DIAGNOSIS = "Xyloid sarcoma of the privacy test"


def key(step: str, field: str, version: int = 0) -> str:
    return f"{step}:{field}:{version}"


def submit(at: AppTest, form: str, label: str) -> None:
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not at.exception, f"{form}: {label}"


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs():
    """Every log record at DEBUG from the root logger and streamlit's own (non-propagating)."""
    handler = Everything()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("streamlit")]
    saved = [(lg, lg.level) for lg in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_watch: list[list[str]] = []


def _audit(event: str, args: tuple) -> None:
    # Every file open in the process raises the "open" audit event (builtins.open, io.open,
    # os.open, pathlib), with the mode or the os flags.
    if event == "open" and _watch:
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writing:
            _watch[-1].append(str(path))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it does nothing unless watching


@pytest.fixture
def no_disk_writes():
    """Every file opened for writing while the test runs."""
    writes: list[str] = []
    _watch.append(writes)
    yield writes
    _watch.remove(writes)


def run_the_whole_flow() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.radio(key=key("start", "route")).set_value("second_opinion")
    at.button(key="FormSubmitter:start-Next").click().run()
    at.radio(key=key("plan", "how")).set_value("find")
    at.radio(key=key("plan", "pick")).set_value("mo-ppo-riverfront-employer-self-funded")
    submit(at, "plan_pick", "Use this plan")
    at.text_input(key=key("cancer", "diagnosis.description")).set_value(DIAGNOSIS)
    submit(at, "step_cancer", "Next")
    submit(at, "step_reasons", "Next")
    submit(at, "step_doctor", "Next")
    submit(at, "step_timing", "Next")
    at.radio(key=key("denial", "denial")).set_value("yes")
    at.text_area(key=key("denial", "denial.reason_quoted")).set_value(f"{PATIENT} not eligible")
    submit(at, "step_denial", "See my answer")
    at.switch_page("app_pages/patient_letters.py").run()
    at.text_input(key=key("about_you", "patient.name")).set_value(PATIENT)
    at.text_input(key=key("about_you", "patient.member_id")).set_value(MEMBER_ID)
    at.text_input(key=key("second_doctor", "provider.npi")).set_value(PATIENT)  # invalid
    submit(at, "letter_details", "Save these details")
    at.text_input(key=key("second_doctor", "provider.npi")).set_value("")
    submit(at, "letter_details", "Save these details")
    # A saved file with member data and a bad value: the error must not echo the data.
    at.switch_page("app_pages/patient_save.py").run()
    bad = f"plan: original-medicare\npatient:\n  name: {PATIENT}\n  state: {MEMBER_ID}\n"
    at.file_uploader[0].upload("mine.yaml", bad.encode(), "application/x-yaml")
    submit(at, "open_case", "Open my answers")
    return at


def test_no_member_data_in_logs_or_error_messages(all_logs):
    at = run_the_whole_flow()
    assert at.session_state["patient_case"].patient.name == PATIENT  # the data was entered
    assert any(
        "Which state do you live in?: Use the two-letter" in shown(e.value) for e in at.error
    )
    shown_errors = "\n".join(e.value for e in at.error)
    assert all_logs.lines, "nothing was logged: the capture is not working"
    logged = "\n".join(all_logs.lines)
    for secret in (PATIENT, MEMBER_ID, DIAGNOSIS):
        assert secret not in logged
        assert secret not in shown_errors
    assert not at.exception


def test_the_capture_would_see_member_data(all_logs):
    logging.getLogger("streamlit.test").warning("patient %s", PATIENT)
    assert any(PATIENT in line for line in all_logs.lines)


def test_the_pages_write_nothing_to_disk(no_disk_writes):
    at = run_the_whole_flow()
    assert not at.exception
    written = [p for p in no_disk_writes if not p.startswith("/dev/")]
    assert written == []


def test_the_write_guard_sees_writes(no_disk_writes, tmp_path):
    (tmp_path / "x.txt").write_text("x")
    assert no_disk_writes


def test_error_details_never_reach_the_browser():
    import tomllib

    config = tomllib.loads(CONFIG.read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_case_file_name_and_letter_names_carry_no_member_data():
    assert flow.CASE_FILE_NAME == "second-look-case.yaml"
    for letter_type in flow.letter_info():
        assert PATIENT not in flow.letter_filename(letter_type, "docx")
