"""Batch letters: upload a spreadsheet, check it row by row, make the letters with progress,
download the ZIP and the manifest.

The work is `secondlook.batch` (what `secondlook batch` runs); this page only gathers input and
draws the results. Files live in a private folder for this session (`ui.private_work_dir`),
deleted by "Start a new batch", at sign-out (also the idle sign-out), and an hour after the
idle timeout if the browser was simply closed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st

from app_pages import _nav_ui as ui
from coverage.loader import LoadError
from letters import LETTER_TYPES
from navigator import audit, batch_cases
from navigator.errors import NavigatorError
from secondlook.batch import (
    AUTO,
    MANIFEST,
    ZIP_NAME,
    BatchError,
    BatchOptions,
    read_manifest,
    run_batch,
    validate_batch,
)
from secondlook.batch.columns import COLUMNS, accepted_values
from secondlook.batch.template import template_csv_bytes, template_xlsx_bytes
from secondlook.files import write_atomic
from secondlook.safe_text import md

actor = ui.gate()
ui.sidebar_account(actor)

SHOWN_ERRORS = 500
KEY = "nav_batch"  # session keys start with nav_ so that signing out forgets them


def _work_dir() -> Path:
    """This session's private folder (removed at sign-out, or when unused for a while)."""
    path = ui.private_work_dir("batch")
    st.session_state[f"{KEY}_dir"] = path
    return path


def _new_batch() -> None:
    ui.forget_work_dir("batch")
    for key in [k for k in st.session_state if str(k).startswith(f"{KEY}_")]:
        del st.session_state[key]
    st.session_state[f"{KEY}_upload_gen"] = st.session_state.get(f"{KEY}_upload_gen", 0) + 1


def _audit(action: audit.Action, detail: str) -> None:
    store = ui.get_store()
    with store.acting(actor) as (session, _user):
        audit.record(
            session,
            action,
            organisation_id=actor.organisation_id,
            user_id=actor.user_id,
            object_type="batch",
            detail=detail,
        )


def _progress_callback(bar):  # noqa: ANN001, ANN202
    last = [0.0]

    def update(done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and done != total:
            return
        last[0] = now
        if total:
            bar.progress(min(done / total, 1.0), text=f"{done:,} of {total:,} rows")
        else:
            bar.progress(0.0, text=f"{done:,} rows")

    return update


def _letter_label(name: str) -> str:
    if name == AUTO:
        return "Recommended by the coverage check, row by row (auto)"
    return f"{LETTER_TYPES[name].title} ({name})"


def _problem_rows(outcomes) -> list[dict[str, str]]:  # noqa: ANN001
    table = []
    for outcome in outcomes:
        for problem in outcome["errors"]:
            prefix = f"row {outcome['row']}, "
            table.append(
                {
                    "Row": str(outcome["row"]),
                    "Case id": outcome["case_id"],
                    "Problem": problem.removeprefix(prefix).removeprefix(f"row {outcome['row']}: "),
                }
            )
    return table


_PROBLEM_COLUMNS = {
    "Row": st.column_config.TextColumn(width="small"),
    "Case id": st.column_config.TextColumn(width="small"),
    "Problem": st.column_config.TextColumn(width="large"),
}

ui.purge_stale_work()

st.title("Batch letters")
st.write(
    "Make letters for many patients at once from a spreadsheet with one case per row. Every row "
    "ends as its letters or as a clear error naming the row and the column; fix the errors and "
    "upload the corrected file to redo only those rows."
)

with st.expander("1. Get the spreadsheet template", icon=":material/table_view:"):
    st.write(
        "The template has every column, one made-up example row, drop-down lists for the yes / "
        "no / unknown columns and a sheet explaining each column. Only `case_id` is required; "
        "leave a cell blank when you do not know the answer. Dates are written YYYY-MM-DD."
    )
    left, right = st.columns(2)
    left.download_button(
        "Excel template (.xlsx)",
        data=template_xlsx_bytes,
        file_name="second-look-batch-template.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
    right.download_button(
        "CSV template (.csv)",
        data=template_csv_bytes,
        file_name="second-look-batch-template.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    st.dataframe(
        [{"Column": c.name, "Meaning": c.help, "Values": accepted_values(c)} for c in COLUMNS],
        hide_index=True,
        width="stretch",
    )

st.subheader("2. Upload your spreadsheet")
uploaded = st.file_uploader(
    "Spreadsheet (.xlsx or .csv, UTF-8)",
    type=["csv", "xlsx"],
    key=f"{KEY}_upload_{st.session_state.get(f'{KEY}_upload_gen', 0)}",
)
letter = st.selectbox(
    "Letters to make",
    options=[AUTO, *LETTER_TYPES],
    format_func=_letter_label,
    key=f"{KEY}_letter",
)

if uploaded is None:
    st.info("Upload a spreadsheet to check it and make the letters.", icon=":material/upload:")
    st.stop()

work = _work_dir()
suffix = ".xlsx" if uploaded.name.lower().endswith(".xlsx") else ".csv"
source = work / f"input{suffix}"
for old in work.glob("input.*"):
    if old != source:
        old.unlink()
data = uploaded.getvalue()
if not source.exists() or source.read_bytes() != data:
    write_atomic(source, data)  # a half-written input is never checked or run
    st.session_state.pop(f"{KEY}_report", None)
out = work / "out"
options = BatchOptions(letter=letter, zip=True, workers=min(2, os.cpu_count() or 1))

check_col, run_col, _ = st.columns([1, 1, 1])
check_clicked = check_col.button("Check every row", icon=":material/rule:")
run_clicked = run_col.button("Make the letters", type="primary", icon=":material/mail:")

if check_clicked:
    bar = st.progress(0.0, text="Checking…")
    try:
        report = validate_batch(source, options, progress=_progress_callback(bar))
    except LoadError as err:
        bar.empty()
        st.error("This file cannot be read:\n\n" + "\n".join(f"- {md(p)}" for p in err.problems))
        st.stop()
    bar.empty()
    st.session_state[f"{KEY}_report"] = {
        "rows": report.rows,
        "ok": report.ok,
        "errors": report.errors,
        "letters": report.letters,
        "blank": report.blank_rows,
        "problems": _problem_rows(
            {"row": o.row, "case_id": o.case_id, "errors": o.errors}
            for o in report.error_rows[:SHOWN_ERRORS]
        ),
    }

report = st.session_state.get(f"{KEY}_report")
if report and not run_clicked:
    st.subheader("Check")
    a, b, c = st.columns(3)
    a.metric("Rows", f"{report['rows']:,}")
    b.metric("Ready", f"{report['ok']:,}")
    c.metric("With errors", f"{report['errors']:,}")
    if report["blank"]:
        st.caption(f"{report['blank']:,} blank rows skipped.")
    if report["errors"]:
        st.warning(
            "Rows with errors get no letter. You can make the letters for the other rows now and "
            "fix these afterwards: uploading the corrected file redoes only the changed rows.",
            icon=":material/warning:",
        )
        st.dataframe(
            report["problems"], hide_index=True, width="stretch", column_config=_PROBLEM_COLUMNS
        )
        if report["errors"] > SHOWN_ERRORS:
            st.caption(f"The first {SHOWN_ERRORS} rows with errors are shown.")
    else:
        st.success(f"Every row is ready: {report['letters']:,} letters.", icon=":material/check:")

if run_clicked:
    bar = st.progress(0.0, text="Starting…")
    try:
        summary = run_batch(source, out, options, progress=_progress_callback(bar))
    except LoadError as err:
        bar.empty()
        st.error("This file cannot be read:\n\n" + "\n".join(f"- {md(p)}" for p in err.problems))
        st.stop()
    except BatchError as err:
        bar.empty()
        st.error(md(err))
        st.stop()
    bar.empty()
    _audit(
        "letter_generate",
        f"batch: {summary.rows} rows, {summary.ok} ok, {summary.errors} errors, "
        f"{summary.letters} letters ({letter})",
    )
    st.session_state[f"{KEY}_ran"] = {
        "rows": summary.rows,
        "ok": summary.ok,
        "errors": summary.errors,
        "letters": summary.letters,
        "reused": summary.reused,
        "seconds": summary.seconds,
    }
    st.session_state.pop(f"{KEY}_report", None)

ran = st.session_state.get(f"{KEY}_ran")
if ran and (out / MANIFEST).is_file():
    st.subheader("3. Your letters")
    a, b, c = st.columns(3)
    a.metric("Rows", f"{ran['rows']:,}")
    b.metric("Letters made", f"{ran['letters']:,}")
    c.metric("Rows with errors", f"{ran['errors']:,}")
    note = f"Done in {ran['seconds']:.1f} s."
    if ran["reused"]:
        note += f" {ran['reused']:,} rows were already done and were not made again."
    st.caption(note)
    manifest = read_manifest(out / MANIFEST)
    failed = [r for r in manifest if r["status"] == "error"]
    if failed:
        st.warning(
            "These rows have no letter. Fix the cells named here in your spreadsheet and upload "
            "it again, then press **Make the letters**: only the changed rows are redone.",
            icon=":material/warning:",
        )
        st.dataframe(
            _problem_rows(
                {"row": r["row"], "case_id": r["case_id"], "errors": r["errors"].split(" | ")}
                for r in failed[:SHOWN_ERRORS]
            ),
            hide_index=True,
            width="stretch",
            column_config=_PROBLEM_COLUMNS,
        )
    attach_to = batch_cases.attachable(ui.get_store(), actor, out)
    if attach_to.matched:
        rows_word = "row names" if len(attach_to.matched) == 1 else "rows name"
        st.write(
            f"{len(attach_to.matched):,} {rows_word} a case of yours by its reference "
            "(`case_id`): their letters can be kept with those cases."
        )
        if st.button("Attach these letters to their cases", icon=":material/attach_file:"):
            try:
                done = batch_cases.attach(ui.get_store(), actor, out)
            except NavigatorError as exc:
                ui.show_error(exc)
            else:
                letters_word = "letter is" if done.letters == 1 else "letters are"
                cases_word = "case" if len(done.cases) == 1 else "cases"
                st.success(
                    f"{done.letters:,} {letters_word} kept with {len(done.cases):,} {cases_word} "
                    "(each case's Letters tab).",
                    icon=":material/check:",
                )
    if attach_to.unmatched_rows:
        shown_rows = ", ".join(str(r) for r in attach_to.unmatched_rows[:SHOWN_ERRORS])
        st.caption(
            "Not attached (the reference names no case of your organisation): "
            f"{'row' if len(attach_to.unmatched_rows) == 1 else 'rows'} {shown_rows}{' …' if len(attach_to.unmatched_rows) > SHOWN_ERRORS else ''}."
        )
    zip_path, manifest_path = out / ZIP_NAME, out / MANIFEST
    left, right, third = st.columns(3)
    if zip_path.is_file():
        left.download_button(
            "Download the letters (.zip)",
            data=zip_path.read_bytes,
            file_name="second-look-letters.zip",
            mime="application/zip",
            type="primary",
            icon=":material/folder_zip:",
            on_click=_audit,
            args=("letter_download", f"batch zip: {ran['letters']} letters"),
        )
    right.download_button(
        "Download the manifest (.csv)",
        data=manifest_path.read_bytes,
        file_name="second-look-manifest.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    if third.button("Start a new batch", icon=":material/delete:",
                    help="Deletes these letters from the server."):  # fmt: skip
        _new_batch()
        st.rerun()
    st.caption(
        "The manifest has one line per row of your spreadsheet: ok or error, the files made "
        "and their SHA-256 checksums. The letters stay on the server only until you start a new "
        "batch or sign out."
    )
