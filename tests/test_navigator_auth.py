"""Navigator accounts: organisations from the command line only, one-time passwords, argon2,
sign-in per organisation, the throttle (per account and source, atomic), sessions that end on a
reset or deactivation, OIDC with verified e-mail only."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from click.testing import CliRunner
from navigator_helpers import PASSWORD, first_org, navigator, own_password, second_org

from navigator import auth, cli, throttle
from navigator.errors import AuthError, FieldProblem, NotFound, PermissionDenied
from navigator.store import Store
from navigator.tables import LoginThrottle, User


class CountingHasher(PasswordHasher):
    """Cheap argon2 parameters for these tests (the hash is still argon2id), counting checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checked: list[str] = []

    def verify(self, hash, password):  # noqa: A002, ANN001, ANN201
        self.checked.append(hash)
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def hasher(monkeypatch):
    fast = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", fast)
    monkeypatch.setattr(auth, "_DUMMY_HASH", fast.hash("not a real password"))
    return fast


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'auth.db'}")
    yield s
    s.close()


def fail_login(store: Store, username: str = "admin", *, source: str = "10.0.0.1", **kw) -> None:
    with pytest.raises(AuthError) as err:
        auth.login(store, username, "wrong password", source=source, **kw)
    assert str(err.value) == auth.LOGIN_FAILED


# --- organisations and one-time passwords -----------------------------------------------------


def test_the_operator_creates_an_organisation_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    result = runner.invoke(cli.main, [
        "create-organisation", "Riverside Cancer Center", "--code", "riverside",
        "--admin", "ada", "--admin-name", "Ada Admin", "--database", url,
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    password = result.output.split("One-time password: ")[1].split()[0]
    store = Store.open(url)
    try:
        first = auth.login(store, "ada", password)
        assert first.is_admin and first.must_change_password
        with pytest.raises(PermissionDenied, match="one-time password"):
            auth.list_users(store, first)  # nothing else until the password is replaced
        with pytest.raises(FieldProblem, match="must differ"):
            auth.change_password(store, first, password, password)
        admin = auth.change_password(store, first, password, PASSWORD)
        assert not admin.must_change_password
        assert [u.username for u in auth.list_users(store, admin)] == ["ada"]
        with pytest.raises(AuthError):
            auth.login(store, "ada", password)  # the one-time password is gone
    finally:
        store.close()
    listed = runner.invoke(cli.main, ["list-organisations", "--database", url])
    assert "riverside\t1 users\tRiverside Cancer Center" in listed.output


def test_bad_operator_input_names_the_field_and_exits_2(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    args = ["--admin", "ada", "--admin-name", "Ada", "--database", url]
    bad = runner.invoke(cli.main, ["create-organisation", "Org", "--code", "No Spaces", *args])
    assert bad.exit_code == 2 and "error: code:" in bad.output and "Traceback" not in bad.output
    assert (
        runner.invoke(cli.main, ["create-organisation", "Org", "--code", "org", *args]).exit_code
        == 0
    )
    again = runner.invoke(cli.main, ["create-organisation", "Org2", "--code", "org", *args])
    assert again.exit_code == 2 and "code: is already used" in again.output
    zone = runner.invoke(cli.main, ["create-organisation", "O3", "--code", "o3", "--time-zone",
                                    "Mars/Olympus", *args])  # fmt: skip
    assert zone.exit_code == 2 and "time_zone" in zone.output


def test_operator_reset_gives_a_one_time_password_and_ends_sessions(store):
    admin = first_org(store)
    made = auth.operator_reset_password(store, "riverside", "admin")
    with pytest.raises(AuthError):
        auth.list_users(store, admin)  # the open session has ended
    again = own_password(store, "admin", made.one_time_password, "riverside")
    assert again.is_admin
    with pytest.raises(NotFound):
        auth.operator_reset_password(store, "riverside", "nobody")


def test_organisations_cannot_be_created_by_an_admin():
    # Only the operator's function exists; it takes no signed-in user at all.
    assert "actor" not in auth.create_organisation.__code__.co_varnames
    assert not hasattr(auth, "first_run_setup")


def test_an_admin_adds_users_with_one_time_passwords_only(store):
    admin = first_org(store)
    made = auth.create_user(store, admin, username="nina", display_name="Nina")
    assert made.one_time_password and len(made.one_time_password) >= 16
    first = auth.login(store, "nina", made.one_time_password)
    assert first.must_change_password  # the admin who saw it cannot keep using it
    sso = auth.create_user(store, admin, username="sso", display_name="S",
                           email="s@example.org", password_sign_in=False)  # fmt: skip
    assert sso.one_time_password is None
    with pytest.raises(FieldProblem):
        auth.create_user(store, admin, username="x2", display_name="X", password_sign_in=False)


def test_passwords_are_stored_as_argon2_hashes(store):
    first_org(store)
    with store.transaction() as s:
        stored = s.scalar(sa.select(User.password_hash))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


# --- names unique per organisation, nothing disclosed across ---------------------------------


def test_usernames_and_emails_are_unique_within_an_organisation_only(store):
    admin = first_org(store)
    auth.create_user(store, admin, username="nina", display_name="N", email="n@example.org")
    with pytest.raises(FieldProblem) as err:
        auth.create_user(store, admin, username="NINA", display_name="N2")
    assert err.value.problems == {"username": "is already taken"}
    with pytest.raises(FieldProblem) as err:
        auth.create_user(store, admin, username="nino", display_name="N3", email="N@example.org")
    assert "email" in err.value.problems
    # Another organisation may use the same names: its admin learns nothing about ours.
    other = second_org(store, admin)
    auth.create_user(store, other, username="nina", display_name="Nina B", email="n@example.org")
    auth.create_user(store, other, username="admin", display_name="Admin B")
    assert {u.username for u in auth.list_users(store, other)} == {"lake-admin", "nina", "admin"}


def test_sign_in_names_the_organisation_when_there_are_several(store):
    admin = first_org(store)
    assert auth.login(store, "  ADMIN ", PASSWORD).username == "admin"  # one organisation
    other = second_org(store, admin)
    made = auth.create_user(store, other, username="admin", display_name="Admin B")
    own_password(store, "admin", made.one_time_password, "lakeside")
    fail_login(store, "admin")  # which admin? no organisation given
    with pytest.raises(AuthError) as err:
        auth.login(store, "admin", PASSWORD, organisation="nowhere")
    assert str(err.value) == auth.LOGIN_FAILED
    mine = auth.login(store, "admin", PASSWORD, organisation="riverside")
    theirs = auth.login(store, "admin", PASSWORD, organisation="LAKESIDE")
    assert mine.organisation_id != theirs.organisation_id


def test_unknown_user_and_wrong_password_look_the_same(store):
    first_org(store)
    with pytest.raises(AuthError) as wrong:
        auth.login(store, "admin", PASSWORD + "x")
    with pytest.raises(AuthError) as unknown:
        auth.login(store, "nobody", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == auth.LOGIN_FAILED


def test_admin_of_one_org_manages_only_its_users(store):
    admin = first_org(store)
    other = second_org(store, admin)
    nav_b = navigator(store, other, "bea")
    assert {u.username for u in auth.list_users(store, admin)} == {"admin"}
    with pytest.raises(NotFound):
        auth.update_user(store, admin, nav_b.user_id, active=False)


# --- sessions -----------------------------------------------------------------------------------


def test_roles_navigators_cannot_manage_users(store):
    admin = first_org(store)
    nav = navigator(store, admin, "nina")
    with pytest.raises(PermissionDenied):
        auth.create_user(store, nav, username="x2", display_name="X")
    with pytest.raises(PermissionDenied):
        auth.audit_log(store, nav)


def test_deactivation_ends_open_sessions(store):
    admin = first_org(store)
    nav = navigator(store, admin, "nina")
    auth.update_user(store, admin, nav.user_id, active=False)
    with pytest.raises(AuthError):
        auth.login(store, "nina", PASSWORD)
    with pytest.raises(AuthError, match="sign in again|log in again"):
        auth.check_session(store, nav)
    with pytest.raises(AuthError):
        auth.list_users(store, nav)
    auth.update_user(store, admin, nav.user_id, active=True)
    with pytest.raises(AuthError):
        auth.check_session(store, nav)  # reactivation does not revive the old session


def test_a_password_reset_ends_open_sessions_and_gives_a_one_time_password(store):
    admin = first_org(store)
    nav = navigator(store, admin, "nina")
    change = auth.update_user(store, admin, nav.user_id, reset_password=True)
    assert change.one_time_password and change.user.must_change_password
    with pytest.raises(AuthError):
        auth.check_session(store, nav)
    with pytest.raises(AuthError):
        auth.login(store, "nina", PASSWORD)  # the old password no longer works
    assert own_password(store, "nina", change.one_time_password, "riverside").username == "nina"


def test_changing_my_password_ends_my_other_sessions_but_not_this_one(store):
    first_org(store)
    laptop = auth.login(store, "admin", PASSWORD)
    phone = auth.login(store, "admin", PASSWORD)
    laptop = auth.change_password(store, laptop, PASSWORD, PASSWORD + "!")
    assert auth.check_session(store, laptop).username == "admin"
    with pytest.raises(AuthError):
        auth.check_session(store, phone)


def test_role_change_takes_effect_on_the_next_action(store):
    admin = first_org(store)
    nav = navigator(store, admin, "nina")
    auth.update_user(store, admin, nav.user_id, role="admin")
    with pytest.raises(AuthError):
        auth.list_users(store, nav)
    assert auth.login(store, "nina", PASSWORD).is_admin


def test_admin_cannot_lock_themselves_out(store):
    admin = first_org(store)
    for change in ({"active": False}, {"role": "navigator"}, {"reset_password": True}):
        with pytest.raises(FieldProblem):
            auth.update_user(store, admin, admin.user_id, **change)


def test_idle_timeout_comes_from_the_environment():
    assert auth.idle_timeout({}) == dt.timedelta(minutes=30)
    assert auth.idle_timeout({"SECONDLOOK_IDLE_MINUTES": "5"}) == dt.timedelta(minutes=5)
    assert auth.idle_timeout({"SECONDLOOK_IDLE_MINUTES": "soon"}) == dt.timedelta(minutes=30)


# --- the throttle -------------------------------------------------------------------------------


def test_ten_wrong_passwords_lock_that_source_out_for_15_minutes(store):
    first_org(store)
    for _ in range(auth.LOCKOUT_ATTEMPTS):
        fail_login(store, source="10.0.0.1")
    with pytest.raises(AuthError) as err:
        auth.login(store, "admin", PASSWORD, source="10.0.0.1")  # right password, locked
    assert str(err.value) == auth.LOGIN_FAILED
    with store.transaction() as s:  # 16 minutes later
        for row in s.scalars(sa.select(LoginThrottle)):
            row.window_start -= auth.LOCKOUT_WINDOW + dt.timedelta(minutes=1)
    assert auth.login(store, "admin", PASSWORD, source="10.0.0.1").username == "admin"


def test_a_stranger_cannot_keep_the_owner_locked_out(store):
    first_org(store)
    for _ in range(3 * auth.LOCKOUT_ATTEMPTS):  # one try every 90 s for 45 minutes, or all at once
        fail_login(store, source="203.0.113.9")
    assert auth.login(store, "admin", PASSWORD, source="198.51.100.7").username == "admin"


def test_one_source_cannot_spray_many_accounts(store):
    admin = first_org(store)
    for name in ("u1", "u2", "u3", "u4"):
        navigator(store, admin, name)
    names = ["admin", "u1", "u2", "u3", "u4", "nobody"]
    for attempt in range(throttle.SOURCE_ATTEMPTS):
        fail_login(store, names[attempt % len(names)], source="192.0.2.1")
    with pytest.raises(AuthError):
        auth.login(store, "u1", PASSWORD, source="192.0.2.1")  # right password, source throttled
    assert auth.login(store, "u1", PASSWORD, source="192.0.2.2").username == "u1"


def test_an_admin_unlocks_an_account(store):
    admin = first_org(store)
    nav = navigator(store, admin, "nina")
    for _ in range(auth.LOCKOUT_ATTEMPTS):
        fail_login(store, "nina", source="local")
    with pytest.raises(AuthError):
        auth.login(store, "nina", PASSWORD)
    change = auth.update_user(store, admin, nav.user_id, unlock=True)
    assert change.user.username == "nina"
    assert auth.login(store, "nina", PASSWORD).username == "nina"
    rows = auth.audit_log(store, admin)
    assert any(r.action == "user_update" and r.detail == "unlocked" for r in rows)


def test_a_good_sign_in_resets_the_count(store):
    first_org(store)
    for _ in range(auth.LOCKOUT_ATTEMPTS - 1):
        fail_login(store, source="local")
    auth.login(store, "admin", PASSWORD)
    fail_login(store, source="local")
    assert auth.login(store, "admin", PASSWORD).username == "admin"


def test_forty_parallel_attempts_get_at_most_ten_password_checks(nav_db_url, hasher):
    store = Store.open(nav_db_url)
    try:
        first_org(store)
        with store.transaction() as s:
            real_hash = s.scalar(sa.select(User.password_hash).where(User.username == "admin"))
        hasher.checked.clear()
        start = threading.Barrier(40)
        outcomes = []

        def attempt() -> None:
            start.wait()
            try:
                auth.login(store, "admin", "wrong password", source="10.9.9.9")
                outcomes.append("in")
            except AuthError:
                outcomes.append("refused")

        threads = [threading.Thread(target=attempt) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes == ["refused"] * 40
        assert hasher.checked.count(real_hash) == auth.LOCKOUT_ATTEMPTS
        with pytest.raises(AuthError):  # and the right password is refused from there too
            auth.login(store, "admin", PASSWORD, source="10.9.9.9")
    finally:
        store.close()


# --- organisation sign-in (OIDC) ----------------------------------------------------------------


def test_oidc_needs_a_verified_email(store):
    admin = first_org(store)
    auth.create_user(store, admin, username="sso-user", display_name="SSO User",
                     email="sso@example.org", password_sign_in=False)  # fmt: skip
    for flag in (False, None, "false", "yes"):
        with pytest.raises(AuthError) as err:
            auth.login_oidc(store, "sso@example.org", email_verified=flag)
        assert str(err.value) == auth.OIDC_UNVERIFIED
    assert auth.login_oidc(store, "SSO@example.org", email_verified=True).username == "sso-user"
    assert auth.login_oidc(store, "sso@example.org", email_verified="true").via == "oidc"
    with pytest.raises(AuthError):
        auth.login_oidc(store, "stranger@example.org", email_verified=True)
    with pytest.raises(AuthError):
        auth.login(store, "sso-user", "")  # no password set: password sign-in is impossible


def test_oidc_with_accounts_in_two_organisations_asks_which(store):
    admin = first_org(store)
    other = second_org(store, admin)
    for actor in (admin, other):
        auth.create_user(store, actor, username="sam", display_name="Sam",
                         email="sam@example.org", password_sign_in=False)  # fmt: skip
    with pytest.raises(auth.ChooseOrganisation) as err:
        auth.login_oidc(store, "sam@example.org", email_verified=True)
    assert err.value.choices == [("lakeside", "Lakeside Oncology"),
                                 ("riverside", "Riverside Cancer Center")]  # fmt: skip
    chosen = auth.login_oidc(store, "sam@example.org", email_verified=True,
                             organisation="lakeside")  # fmt: skip
    assert chosen.organisation_id == other.organisation_id


def test_the_time_zone_is_the_users_then_the_browsers_then_the_organisations():
    from navigator import clock

    evening = dt.datetime(2026, 3, 5, 2, 22, tzinfo=dt.UTC)
    chicago, tokyo = "America/Chicago", "Asia/Tokyo"
    assert clock.today_in(clock.zone_for(chicago, tokyo, None), evening) == dt.date(2026, 3, 4)
    assert clock.today_in(clock.zone_for(None, chicago, tokyo), evening) == dt.date(2026, 3, 4)
    assert clock.today_in(clock.zone_for(None, None, chicago), evening) == dt.date(2026, 3, 4)
    assert clock.today_in(clock.zone_for("Not/AZone", None, None), evening) == dt.date(2026, 3, 5)


def test_a_bad_time_zone_is_refused(store):
    admin = first_org(store)
    with pytest.raises(FieldProblem):
        auth.set_own_time_zone(store, admin, "Mars/Olympus")
    assert auth.set_own_time_zone(store, admin, "America/Chicago").time_zone == "America/Chicago"
