"""My day: the signed-in navigator's queue (or the team's) of tasks, follow-ups, hand-offs and
the legal deadlines that count now: overdue first, then today, then this week. Each row opens its
case; a task can be ticked off here."""

from __future__ import annotations

import streamlit as st

from app_pages import _nav_ui as ui
from navigator import tasks
from navigator.errors import NavigatorError
from secondlook.safe_text import md

actor = ui.gate()
store = ui.get_store()
ui.sidebar_account(actor)

st.title("My day")
today = ui.today()  # the navigator's day, not the server's
scope = st.segmented_control(
    "Whose queue", ["mine", "team"], default="mine", key="nav_day_scope",
    format_func={"mine": "Mine", "team": "The team's"}.get,
)  # fmt: skip
queue = tasks.my_day(store, actor, today=today, team=scope == "team")
st.caption(
    f"Today is {ui.day(today)}. Tasks, follow-ups and hand-offs, with the legal deadline that "
    "counts for each case's status (from its coverage check)."
)


def row(item: tasks.QueueItem, key: str) -> None:
    with st.container(border=True):
        left, right = st.columns([5, 1], vertical_alignment="center")
        who = item.assigned_to.display_name if item.assigned_to else "the team"
        patient = f"{item.patient_name or 'Unnamed patient'} · #{item.case_id}"
        left.markdown(
            f"**{tasks.KINDS.get(item.kind, item.kind)}** · {ui.day(item.due)} · "
            f"{ui.days_text(item.days)}  \n{md(item.title)}  \n"
            f"{md(patient)} · {ui.status_label(item.status)} · {md(who)}"
        )
        if item.note:
            left.text(item.note)
        if right.button("Open", key=f"nav_day_open_{key}"):
            ui.open_case_page(item.case_id)
        if item.task_id is not None and right.button("Done", key=f"nav_day_done_{key}"):
            try:
                tasks.set_done(store, actor, item.task_id)
            except NavigatorError as exc:
                ui.show_error(exc)
            else:
                st.rerun()


for section, title, items, empty in (
    ("overdue", "Overdue", queue.overdue, "Nothing overdue."),
    ("today", "Today", queue.due_today, "Nothing due today."),
    ("week", f"This week (next {tasks.DUE_SOON_DAYS} days)", queue.this_week,
     "Nothing this week."),
):  # fmt: skip
    st.subheader(f"{title} ({len(items)})")
    if not items:
        st.write(empty)
    for i, item in enumerate(items):
        row(item, f"{section}_{i}_{item.case_id}")

st.download_button(
    "Download as a calendar (.ics)",
    data=lambda: tasks.queue_to_ics(queue),  # made on the click
    file_name=f"my-day-{today.isoformat()}.ics",
    mime="text/calendar",
    on_click="ignore",
    icon=":material/calendar_month:",
    help="This queue as calendar events: the kind, the case number and a legal deadline's "
    "title; no patient names or notes.",
)
