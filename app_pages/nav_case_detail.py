"""One case: facts, the coverage answer and deadlines, status, letters, call log, notes,
documents. The page keeps the version the navigator opened; saving over a newer save is refused
(optimistic locking) and said so plainly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from app_pages import _nav_ui as ui
from navigator import auth, case_form, cases, exchange, facts, letter_store, pipeline, tasks
from navigator.coverage_link import plan_choices
from navigator.errors import CaseConflict, FieldProblem, NavigatorError, NotFound
from secondlook.safe_text import md

actor = ui.gate()
store = ui.get_store()
ui.sidebar_account(actor)


@st.cache_resource(show_spinner=False)
def catalog_plans() -> list[tuple[str, str]]:
    return plan_choices()


def _case_id() -> int | None:
    raw = st.query_params.get("case") or st.session_state.get(ui.CASE_KEY)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


case_id = _case_id()
if case_id is None:
    st.title("Case")
    recent = cases.list_cases(store, actor, limit=50)
    if not recent:
        st.info("No cases yet.")
        st.page_link(ui.CASES_PAGE, label="Add a case", icon=":material/add:")
        st.stop()
    with st.form("nav_pick_case"):
        pick = st.selectbox(
            "Open a case",
            [c.id for c in recent],
            format_func=lambda cid: next(
                f"{c.patient_name or 'Unnamed patient'} · #{c.id}" for c in recent if c.id == cid
            ),
        )
        if st.form_submit_button("Open"):
            ui.open_case_page(pick)
    st.stop()

SNAPSHOT = f"nav_detail:{case_id}"


def load(record_view: bool) -> cases.CaseDetail:
    detail = cases.open_case(store, actor, case_id, record_view=record_view)
    st.session_state[SNAPSHOT] = detail
    st.session_state[ui.CASE_KEY] = case_id
    return detail


def reload(message: str | None = None) -> None:
    load(record_view=False)
    if message:
        st.session_state["nav_flash"] = message
    st.rerun()


try:
    detail: cases.CaseDetail = st.session_state.get(SNAPSHOT) or load(record_view=True)
    latest = cases.current_version(store, actor, case_id)
except NotFound as exc:
    st.session_state.pop(ui.CASE_KEY, None)
    st.error(md(exc))
    st.page_link(ui.CASES_PAGE, label="Back to cases", icon=":material/arrow_back:")
    st.stop()

if st.query_params.get("case") != str(case_id):
    st.query_params["case"] = str(case_id)

case = detail.case
flash = st.session_state.pop("nav_flash", None)
if flash:
    st.success(flash)
    st.toast(flash, icon=":material/check_circle:")

st.page_link(ui.CASES_PAGE, label="All cases", icon=":material/arrow_back:")
st.title(md(case.patient.name or "Unnamed patient"), anchor=False)
who = detail.assigned_to.display_name if detail.assigned_to else "unassigned"
st.caption(
    f"Case #{detail.id}{' · ref ' + md(case.case_id) if case.case_id else ''} · "
    f"**{ui.status_label(detail.status)}** · {md(who)} · version {detail.version}, saved "
    f"{ui.when(detail.updated_at)} by {md(detail.updated_by)}"
)

if latest.version != detail.version:
    st.warning(
        f"{md(latest.updated_by)} saved this case at {ui.when(latest.updated_at)} (version "
        f"{latest.version}); you are looking at version {detail.version}. Reload before you "
        "change anything.",
        icon=":material/sync_problem:",
    )
    if st.button("Reload the case", type="primary", key="nav_reload_top"):
        reload("Reloaded: you now see the latest version.")


def attempt(action, success: str) -> Any:  # noqa: ANN001
    """Run a saving action; on success reload and say so; on conflict explain and offer reload."""
    try:
        result = action()
    except CaseConflict:
        st.session_state["nav_conflict"] = True
        st.rerun()
    except NavigatorError as exc:
        ui.show_error(exc)
        return None
    reload(success)
    return result


if st.session_state.pop("nav_conflict", False):
    ui.show_error(CaseConflict(case_id, detail.version, latest.version))
    if st.button("Reload the case", key="nav_reload_conflict"):
        reload("Reloaded: you now see the latest version.")

# --- status pipeline --------------------------------------------------------------------------


def _step(names: tuple[str, ...]) -> str:
    return " / ".join(
        f"**:blue-background[{pipeline.label(s)}]**" if s == detail.status else pipeline.label(s)
        for s in names
    )


st.markdown(" → ".join(_step(names) for names in pipeline.STEPS))
with st.form("nav_status", clear_on_submit=True):
    c1, c2 = st.columns(2)
    # "Keep" comes first: handing a case to a colleague must never move it along the pipeline.
    moves = [None, *pipeline.next_statuses(detail.status)]
    new_status = c1.selectbox(
        "Move to",
        moves,
        format_func=lambda s: f"Keep: {pipeline.label(detail.status)}" if s is None
        else pipeline.label(s),
    )  # fmt: skip
    users = auth.list_users(store, actor, include_inactive=False)
    names = {u.id: u.display_name for u in users}
    current_assignee = detail.assigned_to.id if detail.assigned_to else None
    options = [None, *names]
    if current_assignee not in options:
        options.append(current_assignee)
        names[current_assignee] = detail.assigned_to.display_name
    assignee = c2.selectbox(
        "Navigator",
        options,
        index=options.index(current_assignee),
        format_func=lambda u: "Unassigned" if u is None else names.get(u, "?"),
    )
    handoff_note = st.text_area(
        "Hand-off note",
        placeholder="When you hand the case to a colleague: what they need to know",
        help="Goes into their My day queue as a hand-off due today, and into the case's notes.",
        height=68,
    )
    if st.form_submit_button("Save status and navigator"):
        attempt(
            lambda: cases.save_case(
                store,
                actor,
                case_id,
                detail.version,
                status=new_status,
                assigned_to_id=assignee,
                handoff_note=handoff_note,
                as_of=ui.today(),
            ),
            "Saved.",
        )

# A keyed tab bar keeps the navigator on the tab they were using across reruns (after a save).
tabs = st.tabs(
    ["Coverage", "Case facts", "Letters", "Call log", "Notes", "Documents", "History", "Tasks"],
    key="nav_case_tab",
    on_change="rerun",
)

# --- coverage ---------------------------------------------------------------------------------
with tabs[0]:
    d = detail.determination
    if d is None:
        st.info(md(detail.coverage_error or "No coverage answer yet."))
    else:
        st.markdown(f"#### {md(d.headline)}")
        st.caption(
            f"{md(d.plan_name)} · governing law: {md(d.governing_law)} · checked "
            f"{ui.when(detail.coverage_checked_at)} as of {d.as_of.isoformat()}"
        )
        st.markdown(
            f"Covered: **{d.covered}** · Prior authorisation: **{d.pa_needed or 'n/a'}** · "
            f"Referral: **{d.referral_needed or 'n/a'}**"
        )
        st.markdown(f"**Network:** {md(d.network.explanation)}")
        st.markdown(f"**Cost sharing:** {md(d.cost_sharing.summary)}")
        if d.next_steps:
            st.markdown("**Next steps**\n\n" + "\n".join(f"1. {md(s)}" for s in d.next_steps))
        if d.info_needed:
            st.markdown(
                "**Still to find out**\n\n"
                + "\n".join(f"- {md(i.question)} ({md(i.why)})" for i in d.info_needed)
            )
        if d.unverified:
            st.markdown(
                "**Confirm with the plan**\n\n" + "\n".join(f"- {md(u)}" for u in d.unverified)
            )
        st.caption(md(d.disclaimer))
    if detail.deadlines:
        st.markdown("**Deadlines**")
        st.dataframe(
            [
                {
                    "Deadline": x.title,
                    "Due": x.due,
                    "Rule": x.within,
                    "Counts now": "yes" if x.relevant else "",
                    "Citation": x.citation + ("" if x.verified else " (unverified)"),
                }
                for x in detail.deadlines
            ],
            hide_index=True,
            column_config={"Due": st.column_config.DateColumn(format="YYYY-MM-DD")},
        )
    if st.button("Check coverage again", key="nav_recheck"):
        attempt(
            lambda: cases.save_case(store, actor, case_id, detail.version, as_of=ui.today()),
            "Coverage checked again.",
        )
    with st.expander("FHIR export"):
        st.caption(
            "For a cancer center's or payer's system: the coverage answer as a FHIR Bundle with "
            "the Da Vinci CRD coverage information, or the latest prior authorization letter as a "
            "PAS-style request with the PDF attached. Both hold the patient's data."
        )
        c1, c2 = st.columns(2)
        for column, kind, label in (
            (c1, "coverage", "Prepare coverage (CRD)"),
            (c2, "preauth", "Prepare prior authorization (PAS)"),
        ):
            if column.button(label, key=f"nav_fhir_{kind}"):
                try:
                    with st.spinner("Preparing…"):
                        exported = exchange.export_case_fhir(store, actor, case_id, kind)
                    st.session_state[f"nav_fhir:{case_id}"] = exported
                except NavigatorError as exc:
                    ui.show_error(exc)
        exported = st.session_state.get(f"nav_fhir:{case_id}")
        if exported is not None:
            st.download_button(
                f"Download {exported.filename}",
                data=lambda data=exported.data: data,  # on the /media route only from the click
                file_name=exported.filename,
                mime=exported.mime,
                key="nav_fhir_download",
                on_click="ignore",
                type="primary",
            )

# --- facts ------------------------------------------------------------------------------------
with tabs[1]:
    plans = dict(catalog_plans())
    plan_options = [None, *plans]
    if case.plan and case.plan not in plans:
        plan_options.append(case.plan)
    values: dict[str, Any] = {}
    refused = st.session_state.pop("nav_facts_refused", None)  # FieldProblem of the last save
    if refused is not None:
        ui.show_error(refused)
    shown_problems = refused.problems if refused is not None else {}
    with st.form(f"nav_facts_{detail.version}"):
        for section in case_form.SECTIONS:
            with st.expander(section.title, expanded=section.key in ("patient", "plan")):
                row: list = []  # two fields a row, so a phone stacks them in reading order
                for field in section.fields:
                    key = f"nav_f:{case_id}:{detail.version}:{field.path}"
                    value = case_form.widget_value(field, case)
                    if field.kind in ("area", "lines"):
                        where, row = st, []
                    else:
                        row = row or list(st.columns(2))
                        where = row.pop(0)
                    if field.kind in ("tri", "choice"):
                        opts = [v for v, _ in field.choices()]
                        labels = dict(field.choices())
                        values[field.path] = where.selectbox(
                            field.label, opts, index=ui.choice_index(opts, value),
                            format_func=labels.get, help=field.help, key=key,
                        )  # fmt: skip
                    elif field.kind == "state":
                        opts = [None, *case_form.STATES]
                        values[field.path] = where.selectbox(
                            field.label, opts, index=ui.choice_index(opts, value),
                            format_func=lambda s: "—" if s is None else s, key=key,
                        )  # fmt: skip
                    elif field.kind == "plan":
                        values[field.path] = where.selectbox(
                            field.label, plan_options, index=ui.choice_index(plan_options, value),
                            format_func=lambda p: "Not chosen yet" if p is None
                            else plans.get(p, p), help=field.help, key=key,
                        )  # fmt: skip
                    elif field.kind == "date":
                        values[field.path] = where.date_input(
                            field.label, value=value, min_value=dt.date(1900, 1, 1),
                            max_value=dt.date(2100, 12, 31), format="YYYY-MM-DD", key=key,
                        )  # fmt: skip
                    elif field.kind == "count":
                        values[field.path] = where.number_input(
                            field.label, min_value=0, max_value=10, value=int(value or 0),
                            step=1, key=key,
                        )  # fmt: skip
                    elif field.kind in ("area", "lines"):
                        values[field.path] = st.text_area(
                            field.label, value=value, help=field.help, key=key, height=100
                        )
                    else:
                        values[field.path] = where.text_input(
                            field.label, value=value, help=field.help, key=key
                        )
                    if field.path in shown_problems:  # the message sits under its field
                        where.error(shown_problems[field.path])
        slots: list[dict[str, str]] = []
        with st.expander("Records to send to the second-opinion physician"):
            st.caption("Offices holding records, slides or scans (used by the records request).")
            for slot in range(case_form.records_slots(case)):
                shown = case_form.records_widget_values(case, slot)
                key = f"nav_r:{case_id}:{detail.version}:{slot}:"
                st.markdown(f"**Holder {slot + 1}**")
                c1, c2 = st.columns(2)
                slots.append(
                    {
                        "name": c1.text_input("Name", shown["name"], key=key + "name"),
                        "phone": c2.text_input("Phone", shown["phone"], key=key + "phone"),
                        "fax": c2.text_input("Fax", shown["fax"], key=key + "fax"),
                        "address_lines": c1.text_area(
                            "Address", shown["address_lines"], key=key + "address", height=90
                        ),
                    }
                )
                for part in case_form.RECORDS_FIELDS:
                    if f"records_from.{slot}.{part}" in shown_problems:
                        st.error(shown_problems[f"records_from.{slot}.{part}"])
        saved = st.form_submit_button("Save case facts", type="primary")
    if saved:
        try:
            changes = case_form.values_to_changes(values)
            changes.update(case_form.records_changes(slots))
            new_case = facts.apply_changes(case, changes)
        except FieldProblem as exc:  # drawn again with each message under its field
            st.session_state["nav_facts_refused"] = exc
            st.rerun()
        except NavigatorError as exc:
            ui.show_error(exc)
        else:
            if facts.diff_paths(case, new_case):
                attempt(
                    lambda: cases.save_case(
                        store, actor, case_id, detail.version, new_case, as_of=ui.today()
                    ),
                    "Case saved; coverage checked again.",
                )
            else:
                st.info("Nothing changed.")

# --- letters ----------------------------------------------------------------------------------


def mark_sent_form(letter: cases.LetterInfo) -> None:
    """How and when the letter went out: the case moves on and the plan's clock starts."""
    with st.form(f"nav_sent_{letter.id}", border=False):
        c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        via = c1.selectbox("Sent by", list(letter_store.SEND_CHANNELS),
                           format_func=letter_store.SEND_CHANNELS.get, key=f"nav_via_{letter.id}")  # fmt: skip
        sent_on = c2.date_input("Sent on", value=ui.today(), max_value=ui.today(),
                                format="YYYY-MM-DD", key=f"nav_sent_on_{letter.id}")  # fmt: skip
        if c3.form_submit_button("Mark sent"):
            attempt(
                lambda: letter_store.mark_sent(
                    store,
                    actor,
                    case_id,
                    letter.id,
                    via=via,
                    sent_on=sent_on,
                    expected_version=detail.version,
                    today=ui.today(),
                ),  # fmt: skip
                "Marked sent; the case and its deadlines are updated.",
            )


with tabs[2]:
    recommended = list(detail.determination.letters) if detail.determination else []
    types = letter_store.letter_types()
    all_types = [name for name, _, _ in types]
    ordered = recommended + [t for t in all_types if t not in recommended]
    with st.form("nav_letter"):
        letter_type = st.selectbox(
            "Letter",
            ordered,
            format_func=lambda t: (
                letter_store.letter_title(t) + (" (recommended)" if t in recommended else "")
            ),
        )
        st.caption(
            "Written from the case as you see it (version "
            f"{detail.version}) and stored with it; download it again at any time."
        )
        cited = st.multiselect(
            "Cite these calls (evidence)",
            [c.id for c in detail.calls],
            format_func=lambda cid: next(
                f"{c.call_date.isoformat()} · {c.person}"
                + (f" · ref {c.reference_number}" if c.reference_number else "")
                for c in detail.calls
                if c.id == cid
            ),
            help="Calls logged under Call log; the letter quotes date, person, reference number "
            "and what was said.",
        )
        if st.form_submit_button("Generate letter", type="primary"):
            attempt(
                lambda: letter_store.generate_letter(
                    store,
                    actor,
                    case_id,
                    letter_type,
                    expected_version=detail.version,
                    cited_call_ids=cited,
                    today=ui.today(),
                ),  # fmt: skip
                "Letter generated and stored with the case.",
            )
    with st.expander("About the letters"):
        st.markdown("\n".join(f"- **{title}**: {about}" for _, title, about in types))
    if not detail.letters:
        st.caption("No letters yet.")
    for letter in reversed(detail.letters):
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            cites = (
                f" · cites {len(letter.cited_call_ids)} call(s)" if letter.cited_call_ids else ""
            )
            left.markdown(
                f"**{letter_store.letter_title(letter.letter_type)}**  \n"
                f"{ui.when(letter.created_at)} by {md(letter.created_by)} · from case version "
                f"{letter.case_version}{cites}  \n"
                f"template {letter.template_version} · sha256 `{letter.sha256[:12]}…`"
            )
            if letter.sent_on:
                left.markdown(
                    f":green-badge[Sent {ui.day(letter.sent_on)} · "
                    f"{letter_store.SEND_CHANNELS.get(letter.sent_via, letter.sent_via)}] "
                    f"recorded by {md(letter.sent_by or '?')}"
                )
            else:
                mark_sent_form(letter)
            right.download_button(
                "Download",
                data=lambda lid=letter.id: letter_store.letter_content(store, actor, case_id, lid)[
                    1
                ],
                file_name=letter.filename,
                mime=letter_store.DOCX_MIME,
                key=f"nav_letter_dl_{letter.id}",
                on_click="ignore",
            )

# --- call log ---------------------------------------------------------------------------------
with tabs[3]:
    with st.form("nav_call", clear_on_submit=True):
        c1, c2 = st.columns(2)
        call_date = c1.date_input("Date", value=ui.today(), format="YYYY-MM-DD")
        channel = c2.selectbox("How", cases.CHANNELS, format_func=str.capitalize)
        person = c1.text_input("Who you spoke with", placeholder="e.g. Dana, UM nurse")
        organisation = c2.text_input("For", placeholder="e.g. the plan's prior-auth line")
        c3, c4 = st.columns(2)
        reference = c3.text_input("Reference number")
        follow_up = c4.date_input(
            "Follow up on", value=None, min_value=ui.today(), format="YYYY-MM-DD",
            help="Optional: puts a follow-up in your My day queue on that day.",
        )  # fmt: skip
        summary = st.text_area("What was said")
        if st.form_submit_button("Add to call log"):
            attempt(
                lambda: cases.add_call(
                    store,
                    actor,
                    case_id,
                    call_date=call_date,
                    person=person,
                    summary=summary,
                    channel=channel,
                    organisation=organisation,
                    reference_number=reference,
                    follow_up_on=follow_up,
                    today=ui.today(),
                ),  # fmt: skip
                "Call logged.",
            )
    for call in reversed(detail.calls):
        with st.container(border=True):
            st.markdown(
                f"**{call.call_date.isoformat()}** · {call.channel} · {md(call.person)}"
                + (f" ({md(call.organisation)})" if call.organisation else "")
                + (f" · ref **{md(call.reference_number)}**" if call.reference_number else "")
            )
            st.text(call.summary)
            st.caption(f"Logged by {md(call.logged_by)}, {ui.when(call.logged_at)}")

# --- notes ------------------------------------------------------------------------------------
with tabs[4]:
    with st.form("nav_note", clear_on_submit=True):
        body = st.text_area("New note")
        if st.form_submit_button("Add note"):
            attempt(lambda: cases.add_note(store, actor, case_id, body), "Note added.")
    for note in reversed(detail.notes):
        with st.container(border=True):
            st.text(note.body)
            st.caption(f"{md(note.created_by)}, {ui.when(note.created_at)}")

# --- documents --------------------------------------------------------------------------------
with tabs[5]:
    with st.form("nav_doc", clear_on_submit=True):
        kind = st.selectbox(
            "Kind", list(cases.DOCUMENT_KINDS), format_func=cases.DOCUMENT_KINDS.get
        )
        limit = ui.upload_limit_mb()
        upload = st.file_uploader(f"File (at most {limit} MB)", key="nav_doc_file")
        if st.form_submit_button("Upload"):
            if upload is None:
                st.error(
                    f"Choose a file first. A file over {limit} MB is refused as soon as it is "
                    "chosen (the box above says so): split or compress it."
                )
            else:
                attempt(
                    lambda: cases.add_document(
                        store,
                        actor,
                        case_id,
                        kind=kind,
                        filename=upload.name,
                        content_type=upload.type,
                        data=upload.getvalue(),
                        max_bytes=ui.upload_limit_bytes(),
                    ),  # fmt: skip
                    "Document stored with the case.",
                )
    for doc in reversed(detail.documents):
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(
                f"**{md(doc.filename)}** · {cases.DOCUMENT_KINDS.get(doc.kind, doc.kind)}  \n"
                f"{doc.size:,} bytes · {md(doc.uploaded_by)}, {ui.when(doc.uploaded_at)}"
            )
            right.download_button(
                "Download",
                data=lambda did=doc.id: cases.document_content(store, actor, case_id, did)[1],
                file_name=doc.filename,
                mime=doc.content_type,
                key=f"nav_doc_dl_{doc.id}",
                on_click="ignore",
            )

# --- history ----------------------------------------------------------------------------------
with tabs[6]:
    for change in reversed(detail.history):
        origin = f"{pipeline.label(change.from_status)} → " if change.from_status else ""
        st.markdown(
            f"- {ui.when(change.at)} · {origin}**{pipeline.label(change.to_status)}** · "
            f"{md(change.by)}"
        )
    st.caption(
        f"Created {ui.when(detail.created_at)} by {md(detail.created_by)}. Every view, edit, letter "
        "and export is in the organisation's audit log."
    )

# --- tasks ------------------------------------------------------------------------------------
with tabs[7]:
    with st.form("nav_task", clear_on_submit=True):
        c1, c2 = st.columns(2)
        task_title = c1.text_input("Task", placeholder="e.g. Send the slides to the reviewer")
        task_due = c2.date_input("Due", value=ui.today(), format="YYYY-MM-DD")
        task_for = c1.selectbox(
            "For", [actor.user_id, *[u for u in names if u and u != actor.user_id], None],
            format_func=lambda u: "The team" if u is None else names.get(u, "?"),
        )  # fmt: skip
        task_note = c2.text_input("Note")
        if st.form_submit_button("Add task"):
            attempt(
                lambda: tasks.add_task(
                    store,
                    actor,
                    case_id,
                    title=task_title,
                    due=task_due,
                    assigned_to_id=task_for,
                    note=task_note,
                ),  # fmt: skip
                "Task added.",
            )
    if not detail.tasks:
        st.caption("No tasks yet.")
    for task in detail.tasks:
        with st.container(border=True):
            left, right = st.columns([5, 1], vertical_alignment="center")
            owner = task.assigned_to.display_name if task.assigned_to else "the team"
            state = f" · done by {md(task.done_by or '?')}" if task.done else ""
            left.markdown(
                f"**{tasks.KINDS.get(task.kind, task.kind)}** · due {ui.day(task.due)} · "
                f"{md(owner)}{state}  \n{md(task.title)}"
            )
            if task.note:
                left.text(task.note)
            label = "Reopen" if task.done else "Done"
            if right.button(label, key=f"nav_task_{task.id}"):
                attempt(lambda t=task: tasks.set_done(store, actor, t.id, not t.done),
                        "Task reopened." if task.done else "Task done.")  # fmt: skip
