"""Navigator pages under AppTest, behind the auth gate: set-up, sign-in, cases, the case page,
conflicts, other organisations. (The real browser flow is in test_navigator_browser.py.)"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import time
from pathlib import Path

import docx
import pytest
from navigator_helpers import PASSWORD, PATIENT, first_org, navigator, second_org, zelda_case
from streamlit.testing.v1 import AppTest

from navigator import auth, cases, facts
from navigator.errors import AuthError
from navigator.store import Store
from secondlook.safe_text import shown

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
LOGIN = "app_pages/nav_login.py"
CASES = "app_pages/nav_cases.py"
DETAIL = "app_pages/nav_case_detail.py"
ADMIN = "app_pages/nav_admin.py"
MY_DAY = "app_pages/nav_my_day.py"


@pytest.fixture
def store(app_store):
    return app_store


def app(page: str, actor=None, **query) -> AppTest:  # noqa: ANN001
    at = AppTest.from_file(APP, default_timeout=60)
    if actor is not None:
        at.session_state["nav_actor"] = actor  # the gate's bypass for tests
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [t.value for t in at.title] + [m.value for m in at.markdown]
    parts += [c.value for c in at.caption] + [s.value for s in at.subheader]
    for kind in (at.success, at.warning, at.info, at.error):
        parts += [a.value for a in kind]
    return shown("\n".join(parts))


def submit(at: AppTest, form: str, label: str) -> AppTest:
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not at.exception, at.exception
    return at


def inputs(at: AppTest) -> dict:
    return {w.label: w for w in at.text_input}


def tab(at: AppTest, name: str) -> AppTest:
    """Open a tab of the case page: only the open tab is drawn."""
    at.session_state["nav_case_tab"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_empty_workspace_cannot_be_set_up_from_a_page(store):
    at = app(LOGIN)
    assert at.title[0].value == "Navigator sign-in"
    assert "secondlook-navigator create-organisation" in at.code[0].value
    assert len(at.text_input) == 0 and len(at.button) == 0  # nothing to fill in, no one to become


def test_a_one_time_password_must_be_replaced_before_anything_else(store):
    made = auth.create_organisation(store, name="Riverside", code="riverside",
                                    admin_username="ada", admin_display_name="Ada Admin")  # fmt: skip
    at = app(LOGIN)
    inputs(at)["Username"].input("ada")
    inputs(at)["Password"].input(made.one_time_password)
    submit(at, "nav_login", "Sign in")
    assert at.title[0].value == "Choose your password"
    at.switch_page(CASES).run()
    assert at.title[0].value == "Choose your password"  # every page asks first
    assert len(at.tabs) == 0
    fields = inputs(at)
    fields["One-time password"].input(made.one_time_password)
    fields["New password"].input(PASSWORD)
    fields["New password again"].input(PASSWORD)
    submit(at, "nav_choose_password", "Save my password")
    assert at.title[0].value == "Cases"
    assert auth.login(store, "ada", PASSWORD).username == "ada"


def test_sign_in_with_the_form_and_wrong_password(store):
    first_org(store)
    at = app(LOGIN)
    assert at.title[0].value == "Navigator sign-in"
    assert "Organisation" not in inputs(at)  # one organisation on this server
    inputs(at)["Username"].input("admin")
    inputs(at)["Password"].input("wrong password")
    submit(at, "nav_login", "Sign in")
    assert "Wrong username or password" in texts(at)
    assert "nav_actor" not in at.session_state
    inputs(at)["Password"].input(PASSWORD)
    submit(at, "nav_login", "Sign in")
    assert "Signed in as **Ada Admin**" in texts(at)


def test_with_several_organisations_sign_in_asks_which(store):
    admin = first_org(store)
    second_org(store, admin)
    at = app(LOGIN, org="lakeside")
    fields = inputs(at)
    assert fields["Organisation"].value == "lakeside"  # from the sign-in link ?org=
    fields["Username"].input("lake-admin")
    fields["Password"].input(PASSWORD)
    submit(at, "nav_login", "Sign in")
    assert "Signed in as **Lake Admin**" in texts(at)


@pytest.mark.parametrize("page", [CASES, DETAIL, ADMIN, "app_pages/nav_batch.py"])
def test_navigator_pages_do_not_exist_for_a_visitor(store, page):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["case"] = str(created.id)
    at.run()
    with pytest.raises(Exception, match="Could not find a navigation page"):
        at.switch_page(page).run()
    assert PATIENT not in texts(at)


def test_the_sign_in_page_is_behind_the_gate(store):
    first_org(store)
    at = app(LOGIN)
    assert at.title[0].value == "Navigator sign-in"
    assert len(at.tabs) == 0 and len(at.dataframe) == 0


def test_sign_out_clears_the_session(store):
    admin = first_org(store)
    at = app(LOGIN, admin)
    at.button(key="nav_sign_out").click().run()
    assert "nav_actor" not in at.session_state
    assert at.title[0].value == "Navigator sign-in"


def test_an_idle_session_is_signed_out(store):
    admin = first_org(store)
    at = app(CASES, admin)
    assert at.title[0].value == "Cases"
    at.session_state["nav_last_active"] = time.time() - 31 * 60
    at.run()
    assert at.title[0].value == "Navigator sign-in"
    assert "signed out after 30 minutes without activity" in texts(at)
    assert "nav_actor" not in at.session_state
    assert any(r.action == "logout" and r.detail == "idle" for r in auth.audit_log(store, admin))


def test_a_reset_or_deactivation_ends_an_open_page_session(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina")
    at = app(CASES, nina)
    assert at.title[0].value == "Cases"
    auth.update_user(store, admin, nina.user_id, reset_password=True)
    at.run()
    assert at.title[0].value == "Navigator sign-in"
    assert "Your session has ended" in texts(at)


def test_create_a_case_from_the_cases_page_and_land_on_it(store):
    admin = first_org(store)
    at = app(CASES, admin)
    inputs(at)["Patient's full name"].input(PATIENT)
    inputs(at)["Member ID"].input("ZT998877")
    new_case_plan = [s for s in at.selectbox if s.label == "Plan"][-1]
    new_case_plan.set_value("mo-ppo-riverfront-employer-self-funded")
    submit(at, "nav_new_case", "Create case")
    assert at.title[0].value == PATIENT
    assert at.query_params["case"] == "1"
    stored = cases.open_case(store, admin, 1, record_view=False)
    assert stored.case.patient.member_id == "ZT998877"
    assert stored.determination is not None


def test_new_case_with_a_bad_reference_names_the_field(store):
    admin = first_org(store)
    at = app(CASES, admin)
    inputs(at)["Your reference (optional)"].input("not allowed!")
    submit(at, "nav_new_case", "Create case")
    assert "**Your reference**: Use 1-64 letters, digits, '.', '_' or '-'." in texts(at)
    assert cases.list_cases(store, admin) == []


def test_case_list_search_and_board(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    z = cases.create_case(store, nina, zelda_case(), status="denied")
    cases.create_case(store, nina, zelda_case(case_id="X-2", patient={"name": "Otto Other"}))
    at = app(CASES, nina)
    # The list shows both; search narrows it.
    table = at.dataframe[0].value
    assert set(table["Patient"]) == {PATIENT, "Otto Other"}
    at.text_input(key="nav_search").input("zelda").run()
    assert list(at.dataframe[0].value["Patient"]) == [PATIENT]
    assert list(at.dataframe[0].value["Case"]) == [f"#{z.id}"]


def test_case_page_edits_facts_and_rechecks_coverage(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case(plan=None))
    at = app(DETAIL, admin, case=str(created.id))
    assert at.title[0].value == PATIENT
    assert "No plan chosen yet" in texts(at)
    tab(at, "Case facts")
    key = f"nav_f:{created.id}:"
    at.selectbox(key=key + "plan").set_value("original-medicare")
    at.text_input(key=key + "diagnosis.stage").input("IV")
    submit(at, "nav_facts", "Save case facts")
    assert "Case saved; coverage checked again." in texts(at)
    after = cases.open_case(store, admin, created.id, record_view=False)
    assert after.version == 2 and after.case.diagnosis.stage == "IV"
    assert after.determination.plan_id == "original-medicare"
    assert after.case.patient.name == PATIENT  # fields not edited are kept


def test_case_page_shows_a_bad_field_by_name(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = tab(app(DETAIL, admin, case=str(created.id)), "Case facts")
    at.text_input(key=f"nav_f:{created.id}:provider.npi").input("12345")
    submit(at, "nav_facts", "Save case facts")
    assert "**NPI (Second-opinion provider)**: An NPI is 10 digits." in texts(at)
    assert "An NPI is 10 digits." in [e.value for e in at.error]  # also under the field
    assert cases.open_case(store, admin, created.id, record_view=False).version == 1


def test_two_navigators_on_the_case_page_the_second_gets_a_conflict(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    omar = navigator(store, admin, "omar", "Omar Navigator")
    created = cases.create_case(store, nina, zelda_case())
    at_omar = tab(app(DETAIL, omar, case=str(created.id)), "Case facts")  # Omar opens version 1

    # Nina saves from her own page first.
    at_nina = tab(app(DETAIL, nina, case=str(created.id)), "Case facts")
    at_nina.text_input(key=f"nav_f:{created.id}:diagnosis.stage").input("IV")
    submit(at_nina, "nav_facts", "Save case facts")
    assert "Case saved" in texts(at_nina)

    # Omar's page now warns, and his save is refused with the plain message.
    at_omar.text_input(key=f"nav_f:{created.id}:diagnosis.stage").input("II")
    submit(at_omar, "nav_facts", "Save case facts")
    shown = texts(at_omar)
    assert "Someone else saved this case since you opened it." in shown
    assert "Nina Navigator saved this case" in shown
    stored = cases.open_case(store, nina, created.id, record_view=False)
    assert (stored.version, stored.case.diagnosis.stage) == (2, "IV")  # nothing overwritten

    # His typed value is still in the form until he reloads; reloading shows Nina's.
    assert at_omar.text_input(key=f"nav_f:{created.id}:diagnosis.stage").value == "II"
    at_omar.button(key="nav_reload_top").click().run()
    assert at_omar.text_input(key=f"nav_f:{created.id}:diagnosis.stage").value == "IV"
    assert "Reloaded" in texts(at_omar)

    # Nothing he typed is lost: his edit is listed beside Nina's value, and goes back into the
    # form over her version; saving it then is an ordinary save of version 2.
    assert "Your unsaved edits" in texts(at_omar)
    assert [t.value for t in at_omar.text][:2] == ["II", "IV"]
    at_omar.button(key="nav_reapply").click().run()
    assert at_omar.text_input(key=f"nav_f:{created.id}:diagnosis.stage").value == "II"
    assert "Your edits are back in the form, over version 2" in texts(at_omar)
    submit(at_omar, "nav_facts", "Save case facts")
    assert "Case saved; coverage checked again." in texts(at_omar)
    stored = cases.open_case(store, nina, created.id, record_view=False)
    assert (stored.version, stored.case.diagnosis.stage) == (3, "II")
    assert "Your unsaved edits" not in texts(tab(at_omar, "Case facts"))


def test_a_hand_off_note_refused_by_a_conflict_survives_the_reload(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    omar = navigator(store, admin, "omar", "Omar Navigator")
    created = cases.create_case(store, nina, zelda_case())
    at_omar = app(DETAIL, omar, case=str(created.id))  # Omar opens version 1
    cases.save_case(store, nina, created.id, 1, status="coverage_checked")  # Nina saves first

    next(s for s in at_omar.selectbox if s.label == "Navigator").set_value(admin.user_id)
    next(t for t in at_omar.text_area if t.label == "Hand-off note").input("Call Dana Friday.")
    submit(at_omar, "nav_status", "Save status and navigator")
    assert "Someone else saved this case since you opened it." in texts(at_omar)
    at_omar.button(key="nav_reload_top").click().run()
    note = next(t for t in at_omar.text_area if t.label == "Hand-off note")
    assert note.value == "Call Dana Friday."  # still there over the latest version
    next(s for s in at_omar.selectbox if s.label == "Navigator").set_value(admin.user_id)
    submit(at_omar, "nav_status", "Save status and navigator")
    detail = cases.open_case(store, nina, created.id, record_view=False)
    assert detail.assigned_to.id == admin.user_id
    assert any("Call Dana Friday." in n.body for n in detail.notes)
    assert next(t for t in at_omar.text_area if t.label == "Hand-off note").value == ""


def test_status_move_and_call_log_note_from_the_case_page(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = app(DETAIL, admin, case=str(created.id))
    move = next(s for s in at.selectbox if s.label == "Move to")
    move.set_value("coverage_checked")
    submit(at, "nav_status", "Save status and navigator")
    assert cases.open_case(store, admin, created.id, record_view=False).status == (
        "coverage_checked"
    )
    tab(at, "Call log")
    fields = inputs(at)
    fields["Who you spoke with"].input("Dana, UM nurse")
    fields["Reference number"].input("CALL-778")
    next(t for t in at.text_area if t.label == "What was said").input("Form never received.")
    submit(at, "nav_call", "Add to call log")
    assert "ref **CALL-778**" in texts(at)
    tab(at, "Notes")
    next(t for t in at.text_area if t.label == "New note").input("Call back Friday.")
    submit(at, "nav_note", "Add note")
    detail = cases.open_case(store, admin, created.id, record_view=False)
    assert [(c.person, c.reference_number) for c in detail.calls] == [
        ("Dana, UM nurse", "CALL-778")
    ]
    assert [n.body for n in detail.notes] == ["Call back Friday."]


def test_an_invalid_status_move_is_not_offered(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = app(DETAIL, admin, case=str(created.id))
    move = next(s for s in at.selectbox if s.label == "Move to")
    assert move.options == ["Keep: Intake", "Coverage checked", "Closed"]
    assert move.index == 0  # the default keeps the status


@pytest.mark.parametrize("status", ["intake", "denied"])
def test_handing_a_case_to_a_colleague_keeps_its_status(store, status):
    admin = first_org(store)
    colleague = navigator(store, admin, "nina")
    created = cases.create_case(store, admin, zelda_case(), status=status)
    clocks = [(d.key, d.due) for d in created.deadlines if d.relevant]
    for assignee in (colleague.user_id, admin.user_id):  # there and back: two hand-offs
        at = app(DETAIL, admin, case=str(created.id))
        next(s for s in at.selectbox if s.label == "Navigator").set_value(assignee)
        submit(at, "nav_status", "Save status and navigator")
        after = cases.open_case(store, admin, created.id, record_view=False)
        assert after.assigned_to.id == assignee
        assert after.status == status
        assert [(d.key, d.due) for d in after.deadlines if d.relevant] == clocks
    assert [h.to_status for h in after.history] == [status]


def test_other_organisation_cannot_open_a_case_by_id(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    outsider = second_org(store, admin)
    at = app(DETAIL, outsider, case=str(created.id))
    assert f"No case #{created.id} in your organisation." in texts(at)
    assert PATIENT not in texts(at)
    assert len(at.tabs) == 0


def test_admin_page_is_for_admins(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina")
    at = app(LOGIN, nina)  # a navigator's menu has no Admin page at all
    with pytest.raises(Exception, match="Could not find a navigation page"):
        at.switch_page(ADMIN).run()
    at = app(ADMIN, admin)
    assert [t.label for t in at.tabs] == ["Users", "Letter templates", "Audit log", "Organisation"]
    usernames = list(at.dataframe[0].value["Username"])
    assert set(usernames) == {"admin", "nina"}
    fields = inputs(at)
    fields["Name"].input("Tom Navigator")
    fields["Username"].input("tom")
    submit(at, "nav_add_user", "Add user")
    assert "One-time password for **tom**" in texts(at)
    one_time = at.code[0].value
    first = auth.login(store, "tom", one_time)
    assert first.must_change_password


def test_an_admin_unlocks_a_locked_account_from_the_page(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina")
    for _ in range(auth.LOCKOUT_ATTEMPTS):
        with pytest.raises(AuthError):
            auth.login(store, "nina", "wrong password")
    at = app(ADMIN, admin)
    next(s for s in at.selectbox if s.label == "User").set_value(nina.user_id)
    next(c for c in at.checkbox if c.label.startswith("Unlock")).check()
    submit(at, "nav_change_user", "Save user")
    assert auth.login(store, "nina", PASSWORD).username == "nina"


def test_deadline_board_lists_overdue_cases(store):
    admin = first_org(store)
    # Denial received long ago: the appeal filing deadline has passed.
    old = zelda_case(
        denial={"notice_date": "2020-01-02", "date_received": "2020-01-03"},
        request_sent_date=dt.date(2019, 12, 20),
    )
    cases.create_case(store, admin, old, status="denied")
    at = app(CASES, admin)
    shown = texts(at)
    assert "Overdue (1)" in shown
    assert "File an internal appeal" in shown and PATIENT in shown


def test_edits_and_views_from_pages_are_audited_without_member_data(store):
    from navigator import auth

    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = tab(app(DETAIL, admin, case=str(created.id)), "Case facts")
    at.text_input(key=f"nav_f:{created.id}:patient.name").input("Zelda Q. Testpatient")
    submit(at, "nav_facts", "Save case facts")
    rows = auth.audit_log(store, admin)
    assert {"case_view", "case_edit"} <= {r.action for r in rows}
    assert not any("Zelda" in r.detail for r in rows)
    assert facts.from_json(facts.to_json(zelda_case())) == zelda_case()


def test_generate_a_letter_from_the_case_page(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    cases.add_call(store, admin, created.id, call_date=dt.date(2026, 4, 3), person="Dana",
                   reference_number="CALL-778", summary="Form never received.")  # fmt: skip
    at = tab(app(DETAIL, admin, case=str(created.id)), "Letters")
    letter = next(s for s in at.selectbox if s.label == "Letter")
    assert letter.value == "appeal"  # the first recommended letter
    assert letter.options[0] == "Appeal (recommended)"
    next(m for m in at.multiselect if m.label.startswith("Cite these calls")).select(1)
    submit(at, "nav_letter", "Generate letter")
    assert "Letter generated and stored with the case." in texts(at)
    stored = cases.open_case(store, admin, created.id, record_view=False).letters
    assert [(x.letter_type, x.cited_call_ids) for x in stored] == [("appeal", [1])]
    assert "from case version 2 · cites 1 call(s)" in texts(at)  # the call raised the version


def test_a_letter_that_cannot_be_written_says_what_is_missing(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = tab(app(DETAIL, admin, case=str(created.id)), "Letters")
    next(s for s in at.selectbox if s.label == "Letter").set_value("physician_letter")
    submit(at, "nav_letter", "Generate letter")
    shown = texts(at)
    assert "needs more facts first: Physician (Referring physician)." in shown
    assert "referring_physician.name" not in shown  # the form's words, never a field path
    assert cases.open_case(store, admin, created.id, record_view=False).letters == []


def test_records_holders_are_edited_in_slots(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = tab(app(DETAIL, admin, case=str(created.id)), "Case facts")
    at.text_input(key=f"nav_f:{created.id}:records_from.0.name").input("Example Pathology")
    at.text_area(key=f"nav_f:{created.id}:records_from.0.address_lines").input(
        "1 Lab Way\nSpringfield, MO"
    )
    at.text_input(key=f"nav_f:{created.id}:records_from.1.phone").input(
        "417-555-0100"
    )  # no name: refused
    submit(at, "nav_facts", "Save case facts")
    message = "Give the name of the office that has the records."
    assert f"**Name (records holder 2)**: {message}" in texts(at)
    at.text_input(key=f"nav_f:{created.id}:records_from.1.phone").input("")
    submit(at, "nav_facts", "Save case facts")
    holders = cases.open_case(store, admin, created.id, record_view=False).case.records_from
    assert [(h.name, h.address_lines) for h in holders] == [
        ("Example Pathology", ["1 Lab Way", "Springfield, MO"])
    ]


def test_import_and_export_from_the_cases_page(store):
    admin = first_org(store)
    at = app(CASES, admin)
    bad = b"case_id,patient_dob\nA-1,05/04/1971\n"
    at.file_uploader(key="nav_import_file").upload("intake.csv", bad, "text/csv")
    submit(at, "nav_import", "Import")
    shown = texts(at)
    assert "Nothing was imported." in shown
    assert "row 2, column patient_dob: not a date" in shown
    good = f"case_id,patient_name,plan\nA-1,{PATIENT},original-medicare\n".encode()
    at.file_uploader(key="nav_import_file").upload("intake.csv", good, "text/csv")
    submit(at, "nav_import", "Import")
    assert "Imported 1 case (1 Intake)." in texts(at)
    assert [c.patient_name for c in cases.list_cases(store, admin)] == [PATIENT]

    at = app(CASES, admin)
    at.radio(key="nav_export_format").set_value("csv")
    at.button(key="nav_export").click().run()
    assert not at.exception
    assert at.get("download_button")[0].proto.label == "Download 1 case (CSV)"
    from navigator import auth

    assert any(r.action == "export" for r in auth.audit_log(store, admin))


def test_workspace_export_and_import_from_the_cases_page(store):
    from navigator import workspace

    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    cases.add_note(store, admin, created.id, "Prefers mornings.")
    at = app(CASES, admin)
    at.radio(key="nav_ws_format").set_value("xlsx")
    at.button(key="nav_ws_export").click().run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the workspace: 1 case (XLSX)" in labels
    data = workspace.export_workspace(store, admin).data
    at.file_uploader(key="nav_ws_file").upload("w.json", data, "application/json")
    submit(at, "nav_ws_import", "Import workspace")
    assert "Nothing was imported." in texts(at)
    assert f"cases[0].reference: already the reference of case #{created.id}" in texts(at)
    other = second_org(store, admin)
    at = app(CASES, other)
    at.file_uploader(key="nav_ws_file").upload("w.json", data, "application/json")
    submit(at, "nav_ws_import", "Import workspace")
    shown_text = texts(at)
    assert "Imported the workspace: 1 case, 1 note." in shown_text
    assert "These usernames are not active users of your organisation: admin." in shown_text
    assert PATIENT not in shown_text.split("Imported the workspace")[1]
    [back] = cases.list_cases(store, other)
    assert cases.open_case(store, other, back.id, record_view=False).notes[0].body == (
        "Prefers mornings."
    )


def test_upload_a_denial_letter_on_the_case_page(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = tab(app(DETAIL, admin, case=str(created.id)), "Documents")
    at.file_uploader(key="nav_doc_file").upload("denial.pdf", b"%PDF-1.4 denial", "application/pdf")
    submit(at, "nav_doc", "Upload")
    assert "Document stored with the case." in texts(at)
    docs = cases.open_case(store, admin, created.id, record_view=False).documents
    assert [(d.filename, d.kind, d.size) for d in docs] == [("denial.pdf", "denial_letter", 15)]


@pytest.mark.slow
def test_the_pages_on_postgresql(postgres_url, monkeypatch):
    """DATABASE_URL set: the pages use PostgreSQL (create a case, then a refused stale save)."""
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.delenv("SECONDLOOK_DB_PATH", raising=False)
    store = Store.open(postgres_url)
    try:
        admin = first_org(store)
        omar = navigator(store, admin, "omar", "Omar Navigator")
        at = app(CASES, admin)
        inputs(at)["Patient's full name"].input(PATIENT)
        submit(at, "nav_new_case", "Create case")
        assert at.title[0].value == PATIENT
        [summary] = cases.list_cases(store, admin)
        at = tab(app(DETAIL, admin, case=str(summary.id)), "Case facts")
        at_omar = tab(app(DETAIL, omar, case=str(summary.id)), "Case facts")
        stage = f"nav_f:{summary.id}:diagnosis.stage"
        at.text_input(key=stage).input("IV")
        submit(at, "nav_facts", "Save case facts")
        at_omar.text_input(key=stage).input("II")
        submit(at_omar, "nav_facts", "Save case facts")
        assert "Someone else saved this case since you opened it." in texts(at_omar)
        stored = cases.open_case(store, admin, summary.id, record_view=False)
        assert (stored.version, stored.case.diagnosis.stage) == (2, "IV")
    finally:
        store.close()


def test_oidc_sign_in_maps_a_verified_identity_to_an_account(store, monkeypatch):
    """With `[auth]` configured, the gate offers st.login and maps st.user's verified e-mail to
    an account. (st.user does not work under AppTest: the gate's two OIDC hooks are patched.)"""
    from app_pages import _nav_ui

    admin = first_org(store)
    auth.create_user(store, admin, username="sso-nina", display_name="Nina SSO",
                     email="nina@example.org", password_sign_in=False)  # fmt: skip
    monkeypatch.setattr(_nav_ui, "oidc_configured", lambda: True)
    monkeypatch.setattr(_nav_ui, "_oidc_identity", lambda: None)
    at = app(LOGIN)
    assert [b.label for b in at.button][0] == "Sign in with your organisation"

    monkeypatch.setattr(_nav_ui, "_oidc_identity", lambda: ("Nina@Example.org", False))
    at = app(LOGIN)
    assert "did not confirm that this e-mail address is yours" in texts(at)
    assert "nav_actor" not in at.session_state

    monkeypatch.setattr(_nav_ui, "_oidc_identity", lambda: ("Nina@Example.org", True))
    at = app(LOGIN)
    assert "Signed in as **Nina SSO** (Navigator)" in texts(at)

    monkeypatch.setattr(_nav_ui, "_oidc_identity", lambda: ("stranger@example.org", True))
    at = app(LOGIN)
    assert "no active Second Look account for your e-mail address" in texts(at)
    assert "nav_actor" not in at.session_state


# 20:22 in Chicago on 4 March is already 5 March on the server (UTC).
CHICAGO_EVENING = dt.datetime(2026, 3, 5, 2, 22, tzinfo=dt.UTC)


def test_dates_are_the_users_day_not_the_servers(store, monkeypatch):
    from navigator import clock, letter_store

    monkeypatch.setattr(clock, "utc_now", lambda: CHICAGO_EVENING)
    admin = first_org(store)
    admin = auth.set_own_time_zone(store, admin, "America/Chicago")
    case = zelda_case(provider={"name": "Dr. Example Neuro-Oncologist", "in_network": "no"})
    created = cases.create_case(store, admin, case, as_of=dt.date(2026, 3, 4))
    at = app(CASES, admin)
    assert "Today is Wed 04 Mar 2026" in texts(at)
    at = tab(app(DETAIL, admin, case=str(created.id)), "Call log")
    assert next(d for d in at.date_input if d.label == "Date").value == dt.date(2026, 3, 4)
    inputs(at)["Who you spoke with"].input("Dana")
    next(t for t in at.text_area if t.label == "What was said").input("Form received.")
    submit(at, "nav_call", "Add to call log")
    [call] = cases.open_case(store, admin, created.id, record_view=False).calls
    assert call.call_date == dt.date(2026, 3, 4)
    tab(at, "Letters")
    next(s for s in at.selectbox if s.label == "Letter").set_value("preauth_request")
    submit(at, "nav_letter", "Generate letter")
    [letter] = cases.open_case(store, admin, created.id, record_view=False).letters
    _, content = letter_store.letter_content(store, admin, created.id, letter.id)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "March 4, 2026" in text and "March 5, 2026" not in text


def test_without_a_setting_the_organisations_zone_is_used(store, monkeypatch):
    from navigator import clock

    monkeypatch.setattr(clock, "utc_now", lambda: CHICAGO_EVENING)
    admin = first_org(store)
    at = app(CASES, admin)
    assert "Today is Thu 05 Mar 2026" in texts(at)  # nothing known: UTC
    auth.set_organisation_time_zone(store, admin, "America/Chicago")
    at = app(CASES, auth.check_session(store, admin))
    assert "Today is Wed 04 Mar 2026" in texts(at)


def test_the_upload_limit_is_one_number_shown_and_enforced(store):
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    limit_mb = config["server"]["maxUploadSize"]
    assert limit_mb * 1024 * 1024 == cases.MAX_DOCUMENT_BYTES
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = tab(app(DETAIL, admin, case=str(created.id)), "Documents")
    [uploader] = [u for u in at.get("file_uploader") if "File" in u.label]
    assert uploader.label == f"File (at most {limit_mb} MB)"
    submit(at, "nav_doc", "Upload")
    assert f"A file over {limit_mb} MB is refused" in texts(at)


def test_secrets_are_ignored_by_git():
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", ".streamlit/secrets.toml"], cwd=ROOT
    )
    assert result.returncode == 0


def test_my_day_lists_a_hand_off_with_its_note_and_opens_the_case(store):
    from navigator import tasks

    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    created = cases.create_case(store, admin, zelda_case(), status="denied")
    at = app(DETAIL, admin, case=str(created.id))
    next(s for s in at.selectbox if s.label == "Navigator").set_value(nina.user_id)
    next(t for t in at.text_area if t.label == "Hand-off note").input("Records *arrive* Friday.")
    submit(at, "nav_status", "Save status and navigator")
    at = app(MY_DAY, nina)
    shown_text = texts(at)
    assert "Today (1)" in shown_text and "Hand-off from Ada Admin" in shown_text
    assert "Records *arrive* Friday." in [t.value for t in at.text]  # plain text, as typed
    assert "Overdue (1)" in shown_text  # the appeal deadline of the denied case, now Nina's
    [handoff] = tasks.my_day(store, nina, today=dt.date.today()).due_today
    at.button(key=f"nav_day_done_today_0_{created.id}").click().run()
    assert not at.exception, at.exception
    assert tasks.my_day(store, nina, today=dt.date.today()).due_today == []
    assert "Nothing due today." in texts(at)
    tasks.add_task(store, nina, created.id, title="Call the reviewer", due=dt.date.today())
    at = app(MY_DAY, nina)
    at.button(key=f"nav_day_open_today_0_{created.id}").click().run()
    assert not at.exception, at.exception
    assert at.session_state["nav_case_id"] == created.id  # the case page is opened
    assert handoff.task_id is not None


def test_mark_a_letter_sent_and_add_a_task_from_the_case_page(store):
    from navigator import letter_store

    admin = first_org(store)
    case = zelda_case(denial=None, request_sent_date=None,
                      provider={"name": "Dr. Example Neuro-Oncologist", "in_network": "no"})  # fmt: skip
    created = cases.create_case(store, admin, case)
    letter = letter_store.generate_letter(store, admin, created.id, "preauth_request",
                                          expected_version=created.version)  # fmt: skip
    at = tab(app(DETAIL, admin, case=str(created.id)), "Letters")
    next(s for s in at.selectbox if s.label == "Sent by").set_value("portal")
    submit(at, f"nav_sent_{letter.id}", "Mark sent")
    assert "Marked sent; the case and its deadlines are updated." in texts(at)
    after = cases.open_case(store, admin, created.id, record_view=False)
    assert after.status == "request_sent" and after.case.request_sent_date == dt.date.today()
    assert after.letters[0].sent_via == "portal"
    assert "Sent " in texts(at) and "Request sent" in texts(at)
    tab(at, "Tasks")
    inputs(at)["Task"].input("Confirm the plan received it")
    submit(at, "nav_task", "Add task")
    [task] = cases.open_case(store, admin, created.id, record_view=False).tasks
    assert task.title == "Confirm the plan received it" and task.assigned_to.id == admin.user_id
