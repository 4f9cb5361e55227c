"""Navigator accounts: first-run set-up, argon2 passwords, login, roles, OIDC mapping."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from navigator_helpers import PASSWORD, first_org, navigator, second_org

from navigator import auth
from navigator.errors import AuthError, FieldProblem, PermissionDenied, SetupError
from navigator.store import Store
from navigator.tables import User


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'auth.db'}")
    yield s
    s.close()


def test_first_run_setup_creates_org_and_admin_once(store):
    assert auth.needs_setup(store)
    admin = first_org(store)
    assert admin.is_admin and admin.organisation_name == "Riverside Cancer Center"
    assert not auth.needs_setup(store)
    with pytest.raises(SetupError, match="already done"):
        auth.first_run_setup(
            store, organisation="Evil", username="evil", display_name="E", password=PASSWORD
        )
    assert [u.username for u in auth.list_users(store, admin)] == ["admin"]


def test_setup_validates_its_fields(store):
    with pytest.raises(FieldProblem) as err:
        auth.first_run_setup(store, organisation="Org", username="a", display_name="A",
                             password=PASSWORD)  # fmt: skip
    assert "username" in err.value.problems
    with pytest.raises(FieldProblem) as err:
        auth.first_run_setup(store, organisation="Org", username="ada", display_name="A",
                             password="short")  # fmt: skip
    assert "password" in err.value.problems
    assert auth.needs_setup(store)


def test_passwords_are_stored_as_argon2_hashes(store):
    first_org(store)
    with store.transaction() as s:
        stored = s.scalar(sa.select(User.password_hash))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_accepts_the_right_password_only(store):
    first_org(store)
    actor = auth.login(store, "  ADMIN ", PASSWORD)
    assert actor.username == "admin"
    with pytest.raises(AuthError) as wrong:
        auth.login(store, "admin", PASSWORD + "x")
    with pytest.raises(AuthError) as unknown:
        auth.login(store, "nobody", PASSWORD)
    # One message for both, so usernames cannot be discovered.
    assert str(wrong.value) == str(unknown.value) == auth.LOGIN_FAILED


def test_roles_navigators_cannot_manage_users(store):
    admin = first_org(store)
    nav = navigator(store, admin, "nina")
    assert nav.role == "navigator"
    with pytest.raises(PermissionDenied):
        auth.create_user(store, nav, username="x2", display_name="X", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        auth.audit_log(store, nav)


def test_deactivated_user_cannot_log_in_and_loses_the_open_session(store):
    admin = first_org(store)
    nav = navigator(store, admin, "nina")
    auth.update_user(store, admin, nav.user_id, active=False)
    with pytest.raises(AuthError):
        auth.login(store, "nina", PASSWORD)
    with pytest.raises(AuthError, match="log in again"):
        auth.list_users(store, nav)


def test_role_change_takes_effect_on_the_next_action(store):
    admin = first_org(store)
    nav = navigator(store, admin, "nina")
    auth.update_user(store, admin, nav.user_id, role="admin")
    with pytest.raises(AuthError):
        auth.list_users(store, nav)  # the old session's role is stale
    promoted = auth.login(store, "nina", PASSWORD)
    assert promoted.is_admin


def test_admin_cannot_lock_themselves_out(store):
    admin = first_org(store)
    with pytest.raises(FieldProblem):
        auth.update_user(store, admin, admin.user_id, active=False)
    with pytest.raises(FieldProblem):
        auth.update_user(store, admin, admin.user_id, role="navigator")


def test_usernames_and_emails_are_unique(store):
    admin = first_org(store)
    auth.create_user(store, admin, username="nina", display_name="N", email="n@example.org",
                     password=PASSWORD)  # fmt: skip
    with pytest.raises(FieldProblem) as err:
        auth.create_user(store, admin, username="NINA", display_name="N2", password=PASSWORD)
    assert err.value.problems == {"username": "is already taken"}
    with pytest.raises(FieldProblem) as err:
        auth.create_user(store, admin, username="nino", display_name="N3",
                         email="N@example.org")  # fmt: skip
    assert "email" in err.value.problems


def test_oidc_login_maps_an_email_to_an_existing_account_only(store):
    admin = first_org(store)
    auth.create_user(store, admin, username="sso-user", display_name="SSO User",
                     email="sso@example.org")  # fmt: skip
    actor = auth.login_oidc(store, "SSO@example.org")
    assert actor.username == "sso-user"
    with pytest.raises(AuthError):
        auth.login_oidc(store, "stranger@example.org")
    with pytest.raises(AuthError):
        auth.login(store, "sso-user", "")  # no password set: password login is impossible


def test_admin_of_one_org_manages_only_its_users(store):
    admin = first_org(store)
    other = second_org(store, admin)
    nav_b = navigator(store, other, "bea")
    assert {u.username for u in auth.list_users(store, admin)} == {"admin"}
    assert {u.username for u in auth.list_users(store, other)} == {"lake-admin", "bea"}
    from navigator.errors import NotFound

    with pytest.raises(NotFound):
        auth.update_user(store, admin, nav_b.user_id, active=False)


def test_ten_wrong_passwords_lock_the_account_for_15_minutes(store):
    first_org(store)
    for _ in range(auth.LOCKOUT_ATTEMPTS):
        with pytest.raises(AuthError):
            auth.login(store, "admin", "wrong password")
    with pytest.raises(AuthError) as err:
        auth.login(store, "admin", PASSWORD)  # the right password, but locked
    assert str(err.value) == auth.LOGIN_FAILED
    # 16 minutes later the account opens again.
    from navigator.tables import AuditEvent

    with store.transaction() as s:
        for event in s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "login_failed")):
            event.at -= auth.LOCKOUT_WINDOW + auth.dt.timedelta(minutes=1)
    assert auth.login(store, "admin", PASSWORD).username == "admin"


def test_a_good_sign_in_resets_the_count(store):
    first_org(store)
    for _ in range(auth.LOCKOUT_ATTEMPTS - 1):
        with pytest.raises(AuthError):
            auth.login(store, "admin", "wrong password")
    auth.login(store, "admin", PASSWORD)
    with pytest.raises(AuthError):
        auth.login(store, "admin", "wrong password")
    assert auth.login(store, "admin", PASSWORD).username == "admin"
