"""Cases: the deadline board, the case list with search and filters, and a new case."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages import _nav_ui as ui
from coverage.case import Case
from navigator import auth, case_form, cases, exchange, facts, pipeline, workspace
from navigator.coverage_link import plan_choices
from navigator.errors import NavigatorError
from secondlook.safe_text import md

actor = ui.gate()
store = ui.get_store()
ui.sidebar_account(actor)


@st.cache_resource(show_spinner=False)
def catalog_plans() -> list[tuple[str, str]]:
    return plan_choices()


st.title("Cases")
today = ui.today()  # the navigator's day, not the server's
users = auth.list_users(store, actor, include_inactive=False)
user_names = {u.id: u.display_name for u in users}
plan_names = dict(catalog_plans())


def case_title(patient_name: str | None, case_id: int) -> str:
    return f"{patient_name or 'Unnamed patient'} · #{case_id}"


def offer_export(result, label: str, key: str) -> None:  # noqa: ANN001 - an export result
    """A prepared export's download button and its warnings."""
    st.download_button(
        label,
        data=lambda data=result.data: data,  # on the /media route only from the click
        file_name=result.filename,
        mime=result.mime,
        key=key,
        on_click="ignore",
        type="primary",
    )
    for warning in result.warnings:
        st.warning(md(warning))


def show_problems(problems: list[str]) -> None:
    lines = "\n".join(f"- {md(p)}" for p in problems[:200])
    more = len(problems) - 200
    st.error(
        "Nothing was imported. Fix these and import the file again:\n\n"
        + lines
        + (f"\n\n…and {more} more." if more > 0 else "")
    )


board_tab, list_tab, new_tab, exchange_tab = st.tabs(
    ["Deadlines", "All cases", "New case", "Import / export"],
    key="nav_cases_tab",
    on_change="rerun",
)

with board_tab:
    board = cases.deadline_board(store, actor, today=today)
    st.caption(
        f"Today is {ui.day(today)}. Deadlines come from the coverage check of each case; "
        "only the clock that matters for the case's status is shown."
    )

    def board_items(items: list[cases.BoardItem], key: str) -> None:
        for i, item in enumerate(items):
            with st.container(border=True):
                left, right = st.columns([5, 1], vertical_alignment="center")
                who = item.assigned_to.display_name if item.assigned_to else "unassigned"
                left.markdown(
                    f"**{ui.day(item.due)}** · {ui.days_text(item.days)}  \n"
                    f"{md(item.title)}  \n"
                    f"{md(case_title(item.patient_name, item.case_id))} · "
                    f"{ui.status_label(item.status)} · {md(who)}"
                )
                if right.button("Open", key=f"nav_board_{key}_{i}_{item.case_id}"):
                    ui.open_case_page(item.case_id)

    st.subheader(f"Overdue ({len(board.overdue)})")
    if board.overdue:
        board_items(board.overdue, "overdue")
    else:
        st.write("Nothing overdue.")
    st.subheader(f"Due within {cases.DUE_SOON_DAYS} days ({len(board.due_soon)})")
    if board.due_soon:
        board_items(board.due_soon, "soon")
    else:
        st.write(f"Nothing due in the next {cases.DUE_SOON_DAYS} days.")

with list_tab:
    with st.container(border=True):
        search = st.text_input(
            "Search",
            placeholder="Name or Last, First · date of birth · member ID · reference · #number",
            help="Every word must match. Dates as 1971-05-04 or 05/04/1971.",
            key="nav_search",
        )
        c1, c2 = st.columns(2)
        statuses = c1.multiselect(
            "Status", pipeline.STATUSES, format_func=ui.status_label, key="nav_f_status"
        )
        deadline_options = [None, "overdue", "week", "later", "none"]
        deadline_labels = {
            None: "Any",
            "overdue": "Overdue",
            "week": f"Due within {cases.DUE_SOON_DAYS} days",
            "later": "Due later",
            "none": "No deadline",
        }
        deadline = c2.selectbox(
            "Deadline", deadline_options, format_func=deadline_labels.get, key="nav_f_deadline"
        )
        c3, c4 = st.columns(2)
        plans_in_use = cases.plan_ids_in_use(store, actor)
        plan = c3.selectbox(
            "Plan",
            [None, *plans_in_use],
            format_func=lambda p: "Any plan" if p is None else plan_names.get(p, p),
            key="nav_f_plan",
        )
        nav_options: list[int | str | None] = [None, "mine", "unassigned", *user_names]
        nav_labels = {None: "Anyone", "mine": "Me", "unassigned": "Unassigned", **user_names}
        navigator_choice = c4.selectbox(
            "Navigator", nav_options, format_func=nav_labels.get, key="nav_f_navigator"
        )
    found = cases.list_cases(
        store,
        actor,
        search=search,
        statuses=statuses,
        plan_id=plan,
        assigned_to_id=(
            actor.user_id
            if navigator_choice == "mine"
            else navigator_choice
            if isinstance(navigator_choice, int)
            else None
        ),
        unassigned=navigator_choice == "unassigned",
        deadline=deadline,
        today=today,
    )
    st.caption(f"{len(found)} case{'s' if len(found) != 1 else ''}. Select a row to open it.")
    if found:
        rows = [
            {
                "Case": f"#{c.id}",
                "Patient": c.patient_name or "",
                "Reference": c.case_ref or "",
                "Status": ui.status_label(c.status),
                "Next deadline": c.next_due,
                "Navigator": c.assigned_to.display_name if c.assigned_to else "",
                "Plan": plan_names.get(c.plan_id, c.plan_id or ""),
                "Updated": ui.when(c.updated_at),
            }
            for c in found
        ]
        event = st.dataframe(
            rows,
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key="nav_case_table",
            column_config={
                "Next deadline": st.column_config.DateColumn(format="YYYY-MM-DD"),
            },
        )
        selected = event.selection.rows if event else []
        if selected:
            ui.open_case_page(found[selected[0]].id)
        with st.form("nav_open_case"):
            pick = st.selectbox(
                "Open a case",
                [c.id for c in found],
                format_func=lambda cid: next(
                    case_title(c.patient_name, c.id) for c in found if c.id == cid
                ),
            )
            if st.form_submit_button("Open"):
                ui.open_case_page(pick)
    else:
        st.info("No cases match. Clear the filters, or add a case under New case.")

with new_tab:
    st.write("Start with who and which plan; fill in the rest on the case page.")
    plan_ids = [None, *plan_names]
    with st.form("nav_new_case", clear_on_submit=False):
        name = st.text_input("Patient's full name")
        c1, c2 = st.columns(2)
        dob = c1.date_input(
            "Date of birth",
            value=None,
            min_value=dt.date(1900, 1, 1),
            max_value=today,
            format="YYYY-MM-DD",
        )
        member_id = c2.text_input("Member ID")
        state = c1.selectbox(
            "State of residence",
            [None, *case_form.STATES],
            format_func=lambda s: "Not given" if s is None else s,
        )
        reference = c2.text_input("Your reference (optional)")
        new_plan = st.selectbox(
            "Plan",
            plan_ids,
            format_func=lambda p: "Not chosen yet" if p is None else plan_names.get(p, p),
        )
        assignee = st.selectbox(
            "Navigator",
            [actor.user_id, *[u for u in user_names if u != actor.user_id], None],
            format_func=lambda u: "Unassigned" if u is None else user_names.get(u, "?"),
        )
        submitted = st.form_submit_button("Create case", type="primary")
    if submitted:
        try:
            new_case = facts.apply_changes(
                Case(),
                {
                    "case_id": reference,
                    "plan": new_plan,
                    "patient.name": name,
                    "patient.date_of_birth": dob,
                    "patient.member_id": member_id,
                    "patient.state": state,
                },
            )
            created = cases.create_case(
                store, actor, new_case, assigned_to_id=assignee, as_of=today
            )
        except NavigatorError as exc:
            ui.show_error(exc)
        else:
            ui.open_case_page(created.id)

with exchange_tab:
    st.markdown(
        "**Workspace**: every case with its status and history, navigator, calls, notes, tasks, "
        "letters and documents; a backup, or a hand-off to another workspace."
    )
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    ws_fmt = c1.radio(
        "Workspace format",
        ["json", "xlsx"],
        format_func={
            "json": "JSON, complete (with the letter and document files)",
            "xlsx": "Excel (.xlsx): letters and documents listed, without their files",
        }.get,
        key="nav_ws_format",
    )
    if c2.button("Prepare workspace export", key="nav_ws_export"):
        try:
            st.session_state["nav_ws_result"] = workspace.export_workspace(store, actor, fmt=ws_fmt)
        except NavigatorError as exc:
            ui.show_error(exc)
    ws_result = st.session_state.get("nav_ws_result")
    if ws_result is not None:
        offer_export(
            ws_result,
            f"Download the workspace: {ws_result.cases} case{'s' if ws_result.cases != 1 else ''} "
            f"({ws_result.format.upper()})",
            "nav_ws_download",
        )
    with st.form("nav_ws_import", clear_on_submit=True):
        st.caption(
            "Import a workspace file: every case is recreated with its history, calls, notes, "
            "tasks, letters and documents, all or nothing. A reference already used here "
            "stops the import; navigators are matched by username."
        )
        ws_upload = st.file_uploader(
            "Workspace file (.json or .xlsx)", type=["json", "xlsx"], key="nav_ws_file"
        )
        if st.form_submit_button("Import workspace"):
            if ws_upload is None:
                st.error("Choose a file first.")
            else:
                done = workspace.import_workspace(
                    store, actor, ws_upload.getvalue(), ws_upload.name, as_of=today
                )
                if done.ok:
                    st.success(f"Imported the workspace: {workspace.counts_text(done.counts)}.")
                    for warning in done.warnings:
                        st.warning(md(warning))
                else:
                    show_problems(done.problems)
    st.divider()
    st.markdown("**Export** (the batch spreadsheet format: `secondlook batch` reads it)")
    c1, c2 = st.columns(2)
    scope = c1.radio(
        "Cases",
        ["filtered", "all"],
        format_func={"filtered": f"The {len(found)} in the list", "all": "All cases"}.get,
        key="nav_export_scope",
    )
    fmt = c2.radio(
        "Format",
        ["xlsx", "csv"],
        format_func={"xlsx": "Excel (.xlsx)", "csv": "CSV, exact values for re-import"}.get,
        key="nav_export_format",
    )
    if st.button("Prepare export", key="nav_export"):
        try:
            st.session_state["nav_export_result"] = exchange.export_cases(
                store, actor, [c.id for c in found] if scope == "filtered" else None, fmt=fmt
            )
        except NavigatorError as exc:
            ui.show_error(exc)
    result = st.session_state.get("nav_export_result")
    if result is not None:
        offer_export(
            result,
            f"Download {result.count} case{'s' if result.count != 1 else ''} "
            f"({result.format.upper()})",
            "nav_export_download",
        )
    st.divider()
    st.markdown("**Import** a batch spreadsheet: one new case per row, all rows or none.")
    with st.form("nav_import", clear_on_submit=True):
        upload = st.file_uploader("CSV or XLSX file", type=["csv", "xlsx"], key="nav_import_file")
        if st.form_submit_button("Import"):
            if upload is None:
                st.error("Choose a file first.")
            else:
                outcome = exchange.import_cases(
                    store, actor, upload.getvalue(), upload.name, as_of=today
                )
                if outcome.ok:
                    where = ", ".join(
                        f"{count} {ui.status_label(status)}"
                        for status, count in sorted(outcome.statuses.items())
                    )
                    st.success(
                        f"Imported {len(outcome.created)} case"
                        f"{'s' if len(outcome.created) != 1 else ''} ({where}). The status comes "
                        "from the dates in the file: a denial date means Denied, a request date "
                        "Request sent; their deadlines are on the board."
                    )
                else:
                    show_problems(outcome.problems)
