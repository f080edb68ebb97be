"""Roles, password hashing, the users table on both databases, and `app.py users` run as a person runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from cli.users import DEMO_USER, demo_login
from dashboard.roles import PERMISSIONS, ROLES, CredentialError, allowed, check_name, check_password
from data_sources.store import users
from data_sources.store.database import make_engine, upgrade
from data_sources.store.models import UserAccount
from tests.integration.test_cli import clean_env

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "kata sandi panjang"


# --- roles ------------------------------------------------------------------------------------------


def test_permissions_of_each_role():
    table = {role: {p for p in PERMISSIONS if allowed(role, p)} for role in ROLES}
    assert table == {
        "viewer": {"view_aggregates"},
        "officer": {"view_aggregates", "view_personal"},
        "admin": {"view_aggregates", "view_personal", "manage_users"},
    }
    for role, permission in (
        (None, "view_aggregates"),
        ("root", "view_aggregates"),
        ("admin", "drop_tables"),
        ("", ""),
        (["admin"], "manage_users"),
    ):
        assert allowed(role, permission) is False


@pytest.mark.parametrize(
    "raw, expected", [("Budi", "budi"), (" sekda.kota ", "sekda.kota"), ("a1", "a1"), ("opd_dinkes-2", "opd_dinkes-2")]
)
def test_names_are_normalised(raw, expected):
    assert check_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "a", "-budi", "budi santoso", "budi/../admin", "b" * 65, "bü", "<script>"])
def test_bad_names_are_refused(raw):
    with pytest.raises(CredentialError):
        check_name(raw)


@pytest.mark.parametrize("password", ["short", "x" * 257, " leading space1", "trailing spc1 ", "tab\tinside1"])
def test_bad_passwords_are_refused(password):
    with pytest.raises(CredentialError):
        check_password(password)


# --- hashing ------------------------------------------------------------------------------------------


def test_argon2id_hashes_are_salted_and_verify():
    first, second = users.hash_password(PASSWORD), users.hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second and PASSWORD not in first
    assert users.verify_password(first, PASSWORD) and users.verify_password(second, PASSWORD)
    assert not users.verify_password(first, PASSWORD + "!")
    assert not users.verify_password("not a hash", PASSWORD)
    assert not users.verify_password(first, "")


# --- the users table, on SQLite and PostgreSQL ---------------------------------------------------------


def test_add_authenticate_change_and_remove(engine):
    account = users.add_user(engine, "Budi", "officer", PASSWORD)
    assert (account.name, account.role, account.session_generation) == ("budi", "officer", 1)
    with pytest.raises(CredentialError, match="exists already"):
        users.add_user(engine, "BUDI", "viewer", PASSWORD)
    with engine.connect() as conn:
        stored = conn.execute(select(UserAccount.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    assert users.authenticate(engine, " budi", PASSWORD).id == account.id
    assert users.authenticate(engine, "budi", "wrong password") is None
    assert users.authenticate(engine, "nobody", PASSWORD) is None
    assert users.authenticate(engine, "budi", "") is None

    changed = users.set_password(engine, "budi", "another long password")
    assert changed.session_generation == 2
    assert users.authenticate(engine, "budi", PASSWORD) is None
    assert users.authenticate(engine, "budi", "another long password") is not None
    assert users.set_role(engine, "budi", "viewer").session_generation == 3
    assert users.account_by_id(engine, account.id).role == "viewer"
    with pytest.raises(CredentialError):
        users.set_role(engine, "budi", "superuser")
    with pytest.raises(users.UnknownUser):
        users.set_password(engine, "nobody", PASSWORD)

    users.remove_user(engine, "budi")
    assert users.account_by_id(engine, account.id) is None
    with pytest.raises(users.UnknownUser):
        users.remove_user(engine, "budi")
    again = users.add_user(engine, "budi", "viewer", PASSWORD)
    assert again.id != account.id  # never reused: the old sessions do not come back


def test_an_outdated_hash_is_replaced_at_login_without_ending_sessions(engine):
    from argon2 import PasswordHasher

    account = users.add_user(engine, "lama", "viewer", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(UserAccount.__table__.update().values(password_hash=weak))
    assert users.authenticate(engine, "lama", PASSWORD).session_generation == account.session_generation
    with engine.connect() as conn:
        assert conn.execute(select(UserAccount.password_hash)).scalar_one() != weak


def test_the_demo_login_renews_its_password(settings, engine):
    embedded = settings.with_overrides(database_url=None)
    line = demo_login(embedded, engine)
    password = line.split(" / ")[1].split()[0]
    assert users.authenticate(engine, DEMO_USER, password).role == "officer"
    second = demo_login(embedded, engine).split(" / ")[1].split()[0]
    assert second != password and users.authenticate(engine, DEMO_USER, password) is None
    assert "users add" in demo_login(settings, engine)  # a configured database gets no demo account


# --- the command line ---------------------------------------------------------------------------------


def users_cli(*args: str, database: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = clean_env(PANTAU_DATABASE_URL=f"sqlite:///{database}", PANTAU_DATA_DIR=str(database.parent))
    return subprocess.run(
        [sys.executable, "app.py", "users", *args],
        cwd=ROOT,
        env=env,
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_add_list_set_password_set_role_remove(tmp_path):
    db = tmp_path / "pantau.db"
    done = users_cli("add", "Sekda", "--role", "officer", "--password-stdin", database=db, stdin=PASSWORD + "\n")
    assert done.returncode == 0 and "added sekda (officer)" in done.stdout, done.stderr
    assert (
        users_cli(
            "add", "walikota", "--role", "admin", "--password-stdin", database=db, stdin="satu dua tiga empat"
        ).returncode
        == 0
    )
    listed = json.loads(users_cli("list", "--json", database=db).stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("sekda", "officer"), ("walikota", "admin")]
    assert "password" not in json.dumps(listed)

    engine = make_engine(f"sqlite:///{db}")
    assert users.authenticate(engine, "sekda", PASSWORD) is not None
    assert (
        users_cli(
            "set-password", "sekda", "--password-stdin", database=db, stdin="sandi baru yang panjang\n"
        ).returncode
        == 0
    )
    assert users.authenticate(engine, "sekda", PASSWORD) is None
    assert users.authenticate(engine, "sekda", "sandi baru yang panjang") is not None
    done = users_cli("set-role", "sekda", "--role", "viewer", database=db)
    assert done.returncode == 0 and "sekda is now viewer" in done.stdout
    assert users_cli("logout", "walikota", database=db).returncode == 0
    assert users_cli("remove", "SEKDA", database=db).returncode == 0
    assert [u["name"] for u in json.loads(users_cli("list", "--json", database=db).stdout)] == ["walikota"]
    engine.dispose()


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (
            ("add", "budi santoso", "--role", "viewer", "--password-stdin"),
            PASSWORD,
            "user name 'budi santoso' is not valid",
        ),
        (("add", "budi", "--role", "root", "--password-stdin"), PASSWORD, "invalid choice: 'root'"),
        (("add", "budi", "--role", "viewer", "--password-stdin"), "pendek\n", "at least 10 characters"),
        (("add", "budi", "--role", "viewer", "--password-stdin"), "", "nothing on standard input"),
        (("add", "budi", "--role", "viewer"), PASSWORD, "--password-stdin"),
        (("add", "ada", "--role", "viewer", "--password-stdin"), PASSWORD, "exists already"),
        (("remove", "nobody"), None, "there is no user named 'nobody'"),
        (("set-password", "nobody", "--password-stdin"), PASSWORD, "there is no user named 'nobody'"),
        (("set-role", "ada", "--role", "superadmin"), None, "invalid choice"),
        (("rename", "ada"), None, "invalid choice"),
    ],
)
def test_cli_bad_input_exits_2_with_a_clear_error(tmp_path, args, stdin, message):
    db = tmp_path / "pantau.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    users.add_user(engine, "ada", "viewer", PASSWORD)
    engine.dispose()
    done = users_cli(*args, database=db, stdin=stdin)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
