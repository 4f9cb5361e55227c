"""One case: facts, the coverage answer and deadlines, status, letters, call log, notes,
documents. The page keeps the version the navigator opened; saving over a newer save is refused
(optimistic locking) and said so plainly.

Speed: the case is read once and kept in the session (`SNAPSHOT`) until an action changes it.
The page is three fragments (header, status form, tabs) and only the open tab is drawn. Every
action runs in its button's callback, reads the case again, and reruns just those fragments,
never the whole app (the sidebar, the navigation and the gate stay as they are)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages import _nav_ui as ui
from navigator import (
    auth,
    case_form,
    cases,
    drafts,
    exchange,
    facts,
    letter_pdf,
    letter_store,
    pipeline,
    representative,
    tasks,
)
from navigator.coverage_link import plan_choices
from navigator.errors import AuthError, CaseConflict, FieldProblem, NavigatorError, NotFound
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
# A select box never offers None: Streamlit shows a None value as "nothing chosen", and such a
# box leaves the browser's next click on a select box unanswered.
NOBODY = 0  # no navigator (the team)
# What an action reruns: everything on the page that shows the case (all of it is in these).
CASE_PARTS = ["nav_case_header", "nav_case_status", "nav_case_body"]
TABS_SEEN = f"nav_tabs_seen:{case_id}"  # the tabs opened since the case was opened
HANDOFF_KEPT = f"nav_handoff_kept:{case_id}"  # a hand-off note not saved yet
OUTCOME = "nav_outcome"  # ("error" | "info", message or exception) of the last action


def load(record_view: bool) -> cases.CaseDetail:
    detail = cases.open_case(store, actor, case_id, record_view=record_view)
    st.session_state[SNAPSHOT] = detail
    st.session_state[ui.CASE_KEY] = case_id
    return detail


def snapshot() -> cases.CaseDetail:
    return st.session_state.get(SNAPSHOT) or load(record_view=False)


def rerun_case() -> None:
    st.rerun(scope=CASE_PARTS)


def finish(action: Callable[[], Any], success: str) -> None:
    """A saving action, run in a button's callback: on success read the case again and say so;
    on a conflict keep what is on the page and offer a reload; then redraw the case's parts."""
    if not ui.still_active():
        st.rerun()  # the gate signs the idle session out
    try:
        action()
    except CaseConflict:
        st.session_state["nav_conflict"] = True
    except AuthError:
        st.rerun()  # the session ended: the gate says so and signs out
    except NavigatorError as exc:
        st.session_state[OUTCOME] = ("error", exc)
    else:
        load(record_view=False)
        st.session_state["nav_flash"] = success
    rerun_case()


def reload_case() -> None:
    if not ui.still_active():
        st.rerun()
    st.session_state.pop("nav_conflict", None)
    load(record_view=False)
    st.session_state["nav_flash"] = "Reloaded: you now see the latest version."
    rerun_case()


try:
    if SNAPSHOT not in st.session_state:
        load(record_view=True)  # the view is logged once, when the case is opened
        st.session_state[TABS_SEEN] = set()  # opened afresh: only the open tab is drawn
except NotFound as exc:
    st.session_state.pop(ui.CASE_KEY, None)
    st.error(md(exc))
    st.page_link(ui.CASES_PAGE, label="Back to cases", icon=":material/arrow_back:")
    st.stop()

if st.query_params.get("case") != str(case_id):
    st.query_params["case"] = str(case_id)

st.page_link(ui.CASES_PAGE, label="All cases", icon=":material/arrow_back:")


# --- header: who, status, version; a colleague's newer save; the pipeline -------------------


def _step(detail: cases.CaseDetail, names: tuple[str, ...]) -> str:
    return " / ".join(
        f"**:blue-background[{pipeline.label(s)}]**" if s == detail.status else pipeline.label(s)
        for s in names
    )


@st.fragment(key="nav_case_header")
def header() -> None:
    detail = snapshot()
    try:
        latest = cases.current_version(store, actor, case_id)
    except NotFound as exc:
        st.error(md(exc))
        return
    flash = st.session_state.pop("nav_flash", None)
    if flash:
        st.success(flash)
        st.toast(flash, icon=":material/check_circle:")
    case = detail.case
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
        st.button("Reload the case", type="primary", key="nav_reload_top", on_click=reload_case)
    if st.session_state.pop("nav_conflict", False):
        ui.show_error(CaseConflict(case_id, detail.version, latest.version))
        st.button("Reload the case", key="nav_reload_conflict", on_click=reload_case)
    st.markdown(" → ".join(_step(detail, names) for names in pipeline.STEPS))


# --- status and navigator ---------------------------------------------------------------------


def keep_choice(detail: cases.CaseDetail) -> str:
    """ "Keep" as a value that names the status: after the status changes elsewhere (a letter
    marked sent), the field gets a new value, so the browser shows the new "Keep: …" label."""
    return f"keep:{detail.status}"


def moved_to(choice: str) -> str | None:
    return None if choice.startswith("keep:") else choice


def save_status(detail: cases.CaseDetail) -> None:
    # The hand-off note is kept until it is saved: a colleague's save first (a conflict) and
    # the reload that follows must not lose what the navigator wrote.
    st.session_state[HANDOFF_KEPT] = st.session_state["nav_handoff"]

    def save() -> None:
        cases.save_case(
            store,
            actor,
            case_id,
            detail.version,
            status=moved_to(st.session_state["nav_move"]),
            assigned_to_id=st.session_state["nav_assignee"] or None,
            handoff_note=st.session_state["nav_handoff"],
            as_of=ui.today(),
        )
        st.session_state.pop(HANDOFF_KEPT, None)

    finish(save, "Saved.")


def user_names(detail: cases.CaseDetail) -> dict[int, str]:
    """The organisation's active navigators by id (and the case's own, even if inactive)."""
    names = {u.id: u.display_name for u in auth.list_users(store, actor, include_inactive=False)}
    if detail.assigned_to and detail.assigned_to.id not in names:
        names[detail.assigned_to.id] = detail.assigned_to.display_name
    return names


def fill(form: str, detail: cases.CaseDetail, values: dict[str, Any]) -> None:
    """Give a form's fields these values when first drawn and when the case has a new version
    (after a save or a reload); otherwise what was typed stays (a refused save loses nothing).

    Keys never change with the version: a select box drawn anew under a new key leaves the
    browser's next click on a select box unanswered, and fields kept in place are also quicker
    to update than a form drawn anew."""
    marker = f"nav_filled:{form}"
    fresh = st.session_state.get(marker) != (case_id, detail.version)
    for key, value in values.items():
        # Set only what differs: a value set from here is pushed into the browser's field.
        if (fresh or key not in st.session_state) and st.session_state.get(key, ...) != value:
            st.session_state[key] = value
    st.session_state[marker] = (case_id, detail.version)


@st.fragment(key="nav_case_status")
def status_form() -> None:
    detail = snapshot()
    names = user_names(detail)
    current = detail.assigned_to.id if detail.assigned_to else NOBODY
    keep = keep_choice(detail)
    note = st.session_state.get(HANDOFF_KEPT, "")
    fill("status", detail, {"nav_move": keep, "nav_assignee": current, "nav_handoff": note})
    with st.form("nav_status"):
        c1, c2 = st.columns(2)
        # "Keep" comes first: handing a case to a colleague must never move it along.
        c1.selectbox(
            "Move to",
            [keep, *pipeline.next_statuses(detail.status)],
            format_func=lambda s: f"Keep: {pipeline.label(detail.status)}" if s == keep
            else pipeline.label(s),
            key="nav_move",
        )  # fmt: skip
        c2.selectbox(
            "Navigator",
            [NOBODY, *names],
            format_func=lambda u: "Unassigned" if u == NOBODY else names.get(u, "?"),
            key="nav_assignee",
        )
        st.text_area(
            "Hand-off note",
            placeholder="When you hand the case to a colleague: what they need to know",
            help="Goes into their My day queue as a hand-off due today, and into the case's notes.",
            height=68,
            key="nav_handoff",
        )
        st.form_submit_button("Save status and navigator", on_click=save_status, args=(detail,))


# --- coverage ---------------------------------------------------------------------------------


def coverage_tab(detail: cases.CaseDetail) -> None:
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
    st.button(
        "Check coverage again",
        key="nav_recheck",
        on_click=lambda: finish(
            lambda: cases.save_case(store, actor, case_id, detail.version, as_of=ui.today()),
            "Coverage checked again.",
        ),
    )
    fhir_export()


def fhir_export() -> None:
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


FACTS_BASE = "nav_facts_base"  # the case (CaseDetail) the facts form was drawn from
FACTS_SLOTS = "nav_facts_slots"  # records holders the form draws: (case id, count)
DRAFT = f"nav_draft:{case_id}"  # drafts.Draft: edits refused by a conflict, to re-apply


def _fact_key(path: str) -> str:
    return f"nav_f:{case_id}:{path}"


def plan_ids() -> list[str]:
    return [p for p, _ in catalog_plans()]


def records_slots_shown(case: Any) -> int:  # noqa: ANN401
    kept = st.session_state.get(FACTS_SLOTS)
    extra = kept[1] if kept and kept[0] == case_id else 0
    return max(case_form.records_slots(case), extra)


def form_paths(base: cases.CaseDetail) -> list[str]:
    """The paths of the fields the facts form draws for `base`."""
    paths = [f.path for f in case_form.ALL_FIELDS]
    for slot in range(records_slots_shown(base.case)):
        paths += [f"records_from.{slot}.{part}" for part in case_form.RECORDS_FIELDS]
    return paths


def typed_facts(base: cases.CaseDetail) -> dict[str, Any]:
    """The facts form's values by path (in its callback)."""
    return {path: st.session_state[_fact_key(path)] for path in form_paths(base)}


def keep_draft(base: cases.CaseDetail, typed: dict[str, Any]) -> None:
    """A colleague saved first: keep what was typed to show and re-apply after the reload."""
    shown = case_form.form_values(base.case, plan_ids())
    st.session_state[DRAFT] = drafts.keep(case_id, base.version, shown, typed)
    st.session_state["nav_conflict"] = True


def save_facts() -> None:
    """Save the facts form over the case as last read (`snapshot`), unless the facts changed
    under the form. When the form already shows what was saved only the header and the status
    form are drawn again (the form's 80 fields are the slow part of the page)."""
    if not ui.still_active():
        st.rerun()
    base: cases.CaseDetail = st.session_state[FACTS_BASE]
    latest = snapshot()
    typed = typed_facts(base)
    try:
        new_case = facts.apply_changes(base.case, case_form.form_changes(typed))
    except FieldProblem as exc:  # drawn again with each message under its field
        st.session_state["nav_facts_refused"] = exc
        rerun_case()
    except NavigatorError as exc:
        st.session_state[OUTCOME] = ("error", exc)
        rerun_case()
    if not facts.diff_paths(base.case, new_case):
        st.session_state[OUTCOME] = ("info", "Nothing changed.")
        rerun_case()
    if latest.case != base.case:  # the facts were changed (and read) since the form was drawn
        keep_draft(base, typed)
        rerun_case()
    try:
        cases.save_case(store, actor, case_id, latest.version, new_case, as_of=ui.today())
    except CaseConflict:
        keep_draft(latest, typed)
        rerun_case()
    except AuthError:
        st.rerun()  # the session ended: the gate says so and signs out
    except NavigatorError as exc:
        st.session_state[OUTCOME] = ("error", exc)
        rerun_case()
    st.session_state.pop(DRAFT, None)
    saved = load(record_view=False)
    st.session_state["nav_flash"] = "Case saved; coverage checked again."
    if case_form.form_values(saved.case, plan_ids()) == typed:
        st.session_state[FACTS_BASE] = saved
        st.session_state["nav_filled:facts"] = (case_id, saved.version)
        st.rerun(scope=["nav_case_header", "nav_case_status"])
    rerun_case()


def reapply_draft() -> None:
    draft = st.session_state.pop(DRAFT, None)
    if draft is None or not ui.still_active():
        st.rerun()
    detail = snapshot()
    values = drafts.reapply(draft, detail.case, plan_ids())
    slots = {int(p.split(".")[1]) for p in values if p.startswith("records_from.")}
    st.session_state[FACTS_SLOTS] = (case_id, max(slots, default=-1) + 1)
    for path, value in values.items():
        st.session_state[_fact_key(path)] = value
    st.session_state["nav_filled:facts"] = (case_id, detail.version)
    st.session_state[OUTCOME] = (
        "info",
        f"Your edits are back in the form, over version {detail.version}: check them, then "
        "save the case facts.",
    )
    st.rerun(scope="nav_case_body")


def discard_draft() -> None:
    st.session_state.pop(DRAFT, None)
    st.rerun(scope="nav_case_body")


def draft_panel(detail: cases.CaseDetail) -> None:
    """After a conflict and a reload: each field the navigator had changed, theirs beside the
    latest version's value (their own typed data, shown as plain text), and a way back."""
    draft: drafts.Draft | None = st.session_state.get(DRAFT)
    if draft is None or draft.base_version == detail.version:
        return
    with st.container(border=True):
        st.markdown("**Your unsaved edits**")
        st.caption(
            f"A colleague saved first, so these were not saved. The form shows the latest "
            f"version ({detail.version}); put your values back into it to check and save them."
        )
        for column, heading in zip(
            st.columns([2, 3, 3]), ("Field", "Yours", "Saved now"), strict=True
        ):
            column.caption(heading)
        for row in drafts.rows(draft, detail.case, dict(catalog_plans())):
            c1, c2, c3 = st.columns([2, 3, 3])
            c1.markdown(f"**{md(row.label)}**")
            c2.text(row.yours)
            c3.text(row.current)
        b1, b2 = st.columns(2)
        b1.button("Re-apply my edits", type="primary", on_click=reapply_draft, key="nav_reapply")
        b2.button("Discard my edits", on_click=discard_draft, key="nav_discard_draft")


def fill_facts_form(detail: cases.CaseDetail) -> None:
    values = case_form.form_values(detail.case, plan_ids())
    for slot in range(case_form.records_slots(detail.case), records_slots_shown(detail.case)):
        values.update({f"records_from.{slot}.{part}": "" for part in case_form.RECORDS_FIELDS})
    fill("facts", detail, {_fact_key(path): value for path, value in values.items()})


def _fact_widget(where: Any, field: case_form.Field) -> None:  # noqa: ANN401
    """One field of the facts form; its value is in the session (`fill_facts_form`)."""
    key = _fact_key(field.path)
    if field.kind in ("tri", "choice"):
        where.selectbox(field.label, case_form.select_options(field, []),
                        format_func=dict(field.choices()).get,
                        help=field.help, key=key)  # fmt: skip
    elif field.kind == "state":
        where.selectbox(field.label, case_form.select_options(field, []),
                        format_func=lambda s: s or "—", key=key)  # fmt: skip
    elif field.kind == "plan":
        plans = dict(catalog_plans())
        where.selectbox(
            field.label, case_form.select_options(field, list(plans), st.session_state[key]),
            format_func=lambda p: plans.get(p, p) if p else "Not chosen yet",
            help=field.help, key=key,
        )  # fmt: skip
    elif field.kind == "date":
        where.date_input(field.label, min_value=dt.date(1900, 1, 1),
                         max_value=dt.date(2100, 12, 31), format="YYYY-MM-DD", key=key)  # fmt: skip
    elif field.kind == "count":
        where.number_input(field.label, min_value=0, max_value=10, step=1, key=key)
    elif field.kind in ("area", "lines"):
        where.text_area(field.label, help=field.help, key=key, height=100)
    else:
        where.text_input(field.label, help=field.help, key=key)


def _records_slots(detail: cases.CaseDetail, problems: dict[str, str]) -> None:
    with st.expander("Records to send to the second-opinion physician"):
        st.caption("Offices holding records, slides or scans (used by the records request).")
        for slot in range(records_slots_shown(detail.case)):
            key = _fact_key(f"records_from.{slot}.")
            st.markdown(f"**Holder {slot + 1}**")
            c1, c2 = st.columns(2)
            c1.text_input("Name", key=key + "name")
            c2.text_input("Phone", key=key + "phone")
            c2.text_input("Fax", key=key + "fax")
            c1.text_area("Address", key=key + "address_lines", height=90)
            for part in case_form.RECORDS_FIELDS:
                if f"records_from.{slot}.{part}" in problems:
                    st.error(problems[f"records_from.{slot}.{part}"])


def facts_tab(detail: cases.CaseDetail) -> None:
    refused = st.session_state.pop("nav_facts_refused", None)  # FieldProblem of the last save
    if refused is not None:
        ui.show_error(refused)
    problems = refused.problems if refused is not None else {}
    draft_panel(detail)
    fill_facts_form(detail)
    st.session_state[FACTS_BASE] = detail
    with st.form("nav_facts"):
        for section in case_form.SECTIONS:
            with st.expander(section.title, expanded=section.key in ("patient", "plan")):
                row: list = []  # two fields a row, so a phone stacks them in reading order
                for field in section.fields:
                    if field.kind in ("area", "lines"):
                        where, row = st, []
                    else:
                        row = row or list(st.columns(2))
                        where = row.pop(0)
                    _fact_widget(where, field)
                    if field.path in problems:  # the message sits under its field
                        where.error(problems[field.path])
        _records_slots(detail, problems)
        st.form_submit_button("Save case facts", type="primary", on_click=save_facts)


# --- letters ----------------------------------------------------------------------------------


def mark_sent(detail: cases.CaseDetail, letter_id: int) -> None:
    finish(
        lambda: letter_store.mark_sent(
            store,
            actor,
            case_id,
            letter_id,
            via=st.session_state[f"nav_via_{letter_id}"],
            sent_on=st.session_state[f"nav_sent_on_{letter_id}"],
            expected_version=detail.version,
            today=ui.today(),
        ),
        "Marked sent; the case and its deadlines are updated.",
    )


def mark_sent_form(detail: cases.CaseDetail, letter: cases.LetterInfo) -> None:
    """How and when the letter went out: the case moves on and the plan's clock starts."""
    with st.form(f"nav_sent_{letter.id}", border=False):
        c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        c1.selectbox("Sent by", list(letter_store.SEND_CHANNELS),
                     format_func=letter_store.SEND_CHANNELS.get, key=f"nav_via_{letter.id}")  # fmt: skip
        c2.date_input("Sent on", value=ui.today(), max_value=ui.today(), format="YYYY-MM-DD",
                      key=f"nav_sent_on_{letter.id}")  # fmt: skip
        c3.form_submit_button("Mark sent", on_click=mark_sent, args=(detail, letter.id))


def generate_letter(detail: cases.CaseDetail) -> None:
    finish(
        lambda: letter_store.generate_letter(
            store,
            actor,
            case_id,
            st.session_state[f"nav_letter_type:{detail.version}"],
            expected_version=detail.version,
            cited_call_ids=st.session_state[f"nav_letter_cites:{detail.version}"],
            today=ui.today(),
            as_representative=st.session_state.get("nav_letter_voice") == "representative",
        ),
        "Letter generated and stored with the case.",
    )


def authorization_form() -> None:
    """The one-page authorization for the patient to sign, naming this navigator."""
    if not representative.can_sign(store, actor):
        st.caption(
            "To sign letters for the patient, an admin adds the organisation's address or phone "
            "for letters (Admin, Organisation), or your account gets an e-mail address."
        )
        return
    st.download_button(
        "Authorization form for the patient to sign",
        data=lambda: representative.authorization_form(store, actor, case_id),
        file_name=f"case-{case_id}-authorization-of-representative.docx",
        mime=letter_store.DOCX_MIME,
        key="nav_authorization_form",
        on_click="ignore",
        help="One page naming you and your organisation as her representative for this second "
        "opinion; the letters you sign for her enclose it.",
    )


def _call_label(detail: cases.CaseDetail, call_id: int) -> str:
    call = next(c for c in detail.calls if c.id == call_id)
    ref = f" · ref {call.reference_number}" if call.reference_number else ""
    return f"{call.call_date.isoformat()} · {call.person}{ref}"


def letters_tab(detail: cases.CaseDetail) -> None:
    recommended = list(detail.determination.letters) if detail.determination else []
    types = letter_store.letter_types()
    ordered = recommended + [name for name, _, _ in types if name not in recommended]
    with st.form("nav_letter"):
        st.selectbox(
            "Letter",
            ordered,
            format_func=lambda t: (
                letter_store.letter_title(t) + (" (recommended)" if t in recommended else "")
            ),
            key=f"nav_letter_type:{detail.version}",
        )
        st.caption(
            "Written from the case as you see it (version "
            f"{detail.version}) and stored with it; download it again at any time."
        )
        st.multiselect(
            "Cite these calls (evidence)",
            [c.id for c in detail.calls],
            format_func=lambda cid: _call_label(detail, cid),
            help="Calls logged under Call log; the letter quotes date, person, reference number "
            "and what was said.",
            key=f"nav_letter_cites:{detail.version}",
        )
        st.radio(
            "Signed by",
            list(representative.VOICES),
            format_func=lambda v: (
                representative.VOICES[v]
                + (f" ({md(actor.organisation_name)})" if v == "representative" else "")
            ),
            horizontal=True,
            help="As the patient's authorised representative, you write and sign the letter for "
            "her, and it encloses her signed authorization. The physician's letter is signed by "
            "the physician.",
            key="nav_letter_voice",
        )
        st.form_submit_button(
            "Generate letter", type="primary", on_click=generate_letter, args=(detail,)
        )
    authorization_form()
    with st.expander("About the letters"):
        st.markdown("\n".join(f"- **{title}**: {about}" for _, title, about in types))
    if not detail.letters:
        st.caption("No letters yet.")
    for letter in reversed(detail.letters):
        letter_row(detail, letter)


NO_FILE = (
    "No file here: this came from a workspace spreadsheet, which lists letters and documents "
    "without their files (a JSON export carries them)."
)


def letter_row(detail: cases.CaseDetail, letter: cases.LetterInfo) -> None:
    with st.container(border=True):
        left, right = st.columns([4, 1], vertical_alignment="center")
        cites = f" · cites {len(letter.cited_call_ids)} call(s)" if letter.cited_call_ids else ""
        left.markdown(
            f"**{letter_store.letter_title(letter.letter_type)}**  \n"
            f"{ui.when(letter.created_at)} by {md(letter.created_by)} · from case version "
            f"{letter.case_version}{cites}  \n"
            "Signed by "
            + md(representative.signed_by(letter.letter_type, letter.voice, letter.created_by))
            + "  \n"
            f"template {letter.template_version} · sha256 `{letter.sha256[:12]}…`"
        )
        if letter.sent_on:
            left.markdown(
                f":green-badge[Sent {ui.day(letter.sent_on)} · "
                f"{letter_store.SEND_CHANNELS.get(letter.sent_via, letter.sent_via)}] "
                f"recorded by {md(letter.sent_by or '?')}"
            )
        else:
            mark_sent_form(detail, letter)
        if not letter.has_file:
            right.caption(NO_FILE)
            return
        right.download_button(
            "Word (DOCX)",
            data=lambda lid=letter.id: letter_store.letter_content(store, actor, case_id, lid)[1],
            file_name=letter.filename,
            mime=letter_store.DOCX_MIME,
            key=f"nav_letter_dl_{letter.id}",
            on_click="ignore",
            icon=":material/description:",
        )
        pdf_buttons(right, letter)
        letter_pdf_view(letter)


PDF_KEY = f"nav_pdf:{case_id}"  # (letter id, "save" | "print", file name, PDF) last made


def pdf_buttons(column: Any, letter: cases.LetterInfo) -> None:  # noqa: ANN401
    """PDF and Print: the PDF is made on the click (LibreOffice takes a few seconds), never
    for every letter on every run."""
    for purpose, label, icon in (
        ("save", "PDF", ":material/picture_as_pdf:"),
        ("print", "Print", ":material/print:"),
    ):
        if column.button(label, key=f"nav_letter_{purpose}_{letter.id}", icon=icon):
            st.session_state.pop(PDF_KEY, None)  # (the click's run of `body` checked the session)
            try:
                with st.spinner("Making the PDF…"):
                    name, pdf = letter_pdf.letter_pdf(store, actor, case_id, letter.id)
            except NavigatorError as exc:
                st.session_state[PDF_KEY] = (letter.id, "error", str(exc), b"")
            else:
                st.session_state[PDF_KEY] = (letter.id, purpose, name, pdf)


def letter_pdf_view(letter: cases.LetterInfo) -> None:
    """Under the letter: its PDF to save, or the letter shown to print; or why not."""
    made = st.session_state.get(PDF_KEY)
    if made is None or made[0] != letter.id:
        return
    _, purpose, name, pdf = made
    if purpose == "error":
        st.error(md(name), icon=":material/picture_as_pdf:")
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.download_button(
        f"Save {name}", data=pdf, file_name=name, mime=letter_pdf.PDF_MIME, type="primary",
        key=f"nav_pdf_save_{letter.id}", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    c2.button("Close", key=f"nav_pdf_close_{letter.id}",
              on_click=lambda: st.session_state.pop(PDF_KEY, None))  # fmt: skip
    if purpose == "print":
        print_view(pdf)


# A page of its own in a frame: its Print button prints this frame, so just the letter. Only the
# letter's page images go into it (no text of the case is put into HTML).
PRINT_VIEW = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; font-family: sans-serif; background: #eee; }}
button {{ margin: 8px; padding: 6px 16px; font-size: 15px; }}
img {{ display: block; width: 100%; margin: 0 0 8px; background: #fff; }}
@media print {{ button {{ display: none; }} body {{ background: #fff; }}
  img {{ margin: 0; page-break-after: always; }} }}
</style></head><body><button onclick="window.print()">Print the letter</button>{pages}</body></html>"""


def print_view(pdf: bytes) -> None:
    try:
        with st.spinner("Preparing the print view…"):
            pages = letter_pdf.print_pages(pdf)
    except NavigatorError as exc:
        st.error(md(exc))
        return
    st.caption('The letter as it prints: "Print the letter" prints just these pages.')
    images = "".join(
        f'<img alt="Page {n}" src="data:image/png;base64,{base64.b64encode(page).decode()}">'
        for n, page in enumerate(pages, start=1)
    )
    st.iframe(PRINT_VIEW.format(pages=images), height=900)


# --- call log ---------------------------------------------------------------------------------


def add_call() -> None:
    state = st.session_state
    finish(
        lambda: cases.add_call(
            store,
            actor,
            case_id,
            call_date=state["nav_call_date"],
            person=state["nav_call_person"],
            summary=state["nav_call_summary"],
            channel=state["nav_call_channel"],
            organisation=state["nav_call_for"],
            reference_number=state["nav_call_ref"],
            follow_up_on=state["nav_call_follow_up"],
            today=ui.today(),
        ),
        "Call logged.",
    )


def calls_tab(detail: cases.CaseDetail) -> None:
    with st.form("nav_call", clear_on_submit=True):
        c1, c2 = st.columns(2)
        c1.date_input("Date", value=ui.today(), format="YYYY-MM-DD", key="nav_call_date")
        c2.selectbox("How", cases.CHANNELS, format_func=str.capitalize, key="nav_call_channel")
        c1.text_input("Who you spoke with", placeholder="e.g. Dana, UM nurse",
                      key="nav_call_person")  # fmt: skip
        c2.text_input("For", placeholder="e.g. the plan's prior-auth line", key="nav_call_for")
        c3, c4 = st.columns(2)
        c3.text_input("Reference number", key="nav_call_ref")
        c4.date_input(
            "Follow up on", value=None, min_value=ui.today(), format="YYYY-MM-DD",
            help="Optional: puts a follow-up in your My day queue on that day.",
            key="nav_call_follow_up",
        )  # fmt: skip
        st.text_area("What was said", key="nav_call_summary")
        st.form_submit_button("Add to call log", on_click=add_call)
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


def notes_tab(detail: cases.CaseDetail) -> None:
    with st.form("nav_note", clear_on_submit=True):
        st.text_area("New note", key="nav_note_body")
        st.form_submit_button(
            "Add note",
            on_click=lambda: finish(
                lambda: cases.add_note(store, actor, case_id, st.session_state["nav_note_body"]),
                "Note added.",
            ),
        )
    for note in reversed(detail.notes):
        with st.container(border=True):
            st.text(note.body)
            st.caption(f"{md(note.created_by)}, {ui.when(note.created_at)}")


# --- documents --------------------------------------------------------------------------------


def add_document() -> None:
    upload = st.session_state.get("nav_doc_file")
    if upload is None:
        st.session_state[OUTCOME] = (
            "error",
            f"Choose a file first. A file over {ui.upload_limit_mb()} MB is refused as soon as "
            "it is chosen (the box above says so): split or compress it.",
        )
        rerun_case()
    finish(
        lambda: cases.add_document(
            store,
            actor,
            case_id,
            kind=st.session_state["nav_doc_kind"],
            filename=upload.name,
            content_type=upload.type,
            data=upload.getvalue(),
            max_bytes=ui.upload_limit_bytes(),
        ),
        "Document stored with the case.",
    )


def documents_tab(detail: cases.CaseDetail) -> None:
    with st.form("nav_doc", clear_on_submit=True):
        st.selectbox("Kind", list(cases.DOCUMENT_KINDS), format_func=cases.DOCUMENT_KINDS.get,
                     key="nav_doc_kind")  # fmt: skip
        st.file_uploader(f"File (at most {ui.upload_limit_mb()} MB)", key="nav_doc_file")
        st.form_submit_button("Upload", on_click=add_document)
    for doc in reversed(detail.documents):
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(
                f"**{md(doc.filename)}** · {cases.DOCUMENT_KINDS.get(doc.kind, doc.kind)}  \n"
                f"{doc.size:,} bytes · {md(doc.uploaded_by)}, {ui.when(doc.uploaded_at)}"
            )
            if not doc.has_file:
                right.caption(NO_FILE)
                continue
            right.download_button(
                "Download",
                data=lambda did=doc.id: cases.document_content(store, actor, case_id, did)[1],
                file_name=doc.filename,
                mime=doc.content_type,
                key=f"nav_doc_dl_{doc.id}",
                on_click="ignore",
            )


# --- history ----------------------------------------------------------------------------------


def history_tab(detail: cases.CaseDetail) -> None:
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


def add_task() -> None:
    state = st.session_state
    finish(
        lambda: tasks.add_task(
            store,
            actor,
            case_id,
            title=state["nav_task_title"],
            due=state["nav_task_due"],
            assigned_to_id=state["nav_task_for"] or None,
            note=state["nav_task_note"],
        ),
        "Task added.",
    )


def tasks_tab(detail: cases.CaseDetail) -> None:
    names = user_names(detail)
    with st.form("nav_task", clear_on_submit=True):
        c1, c2 = st.columns(2)
        c1.text_input("Task", placeholder="e.g. Send the slides to the reviewer",
                      key="nav_task_title")  # fmt: skip
        c2.date_input("Due", value=ui.today(), format="YYYY-MM-DD", key="nav_task_due")
        c1.selectbox(
            "For", [actor.user_id, *[u for u in names if u != actor.user_id], NOBODY],
            format_func=lambda u: "The team" if u == NOBODY else names.get(u, "?"),
            key="nav_task_for",
        )  # fmt: skip
        c2.text_input("Note", key="nav_task_note")
        st.form_submit_button("Add task", on_click=add_task)
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
            right.button(
                "Reopen" if task.done else "Done",
                key=f"nav_task_{task.id}",
                on_click=lambda t=task: finish(
                    lambda: tasks.set_done(store, actor, t.id, not t.done),
                    "Task reopened." if t.done else "Task done.",
                ),
            )


# --- the tabs: only the open one is drawn -------------------------------------------------------

TABS: dict[str, Callable[[cases.CaseDetail], None]] = {
    "Coverage": coverage_tab,
    "Case facts": facts_tab,
    "Letters": letters_tab,
    "Call log": calls_tab,
    "Notes": notes_tab,
    "Documents": documents_tab,
    "History": history_tab,
    "Tasks": tasks_tab,
}


@st.fragment(key="nav_case_body")
def body() -> None:
    if not ui.still_active():  # a tab change is activity too; an idle session is signed out
        st.rerun(scope="app")
    detail = snapshot()
    outcome = st.session_state.pop(OUTCOME, None)
    if outcome is not None:
        kind, message = outcome
        if kind == "info":
            st.info(message)
        elif isinstance(message, Exception):
            ui.show_error(message)
        else:
            st.error(message)
    # A keyed tab bar keeps the navigator on their tab across saves; a change reruns only this
    # fragment. A tab is drawn once it has been opened, and from then on while the case is
    # open (hidden when another tab is): a form's typed, unsaved text lives in the browser only
    # while the form is on the page, and a look at another tab must not lose it. Tabs never
    # opened are not drawn, so opening a case stays quick.
    seen: set[str] = st.session_state.setdefault(TABS_SEEN, set())
    tabs = st.tabs(list(TABS), key="nav_case_tab", on_change="rerun")
    for (name, draw), tab in zip(TABS.items(), tabs, strict=True):
        if tab.open:
            seen.add(name)
        if name in seen:
            with tab:
                draw(detail)


header()
status_form()
body()
