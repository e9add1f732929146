"""`formflow users`: who may log in to `formflow serve`, their passwords and sessions."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from formflow.archive import Archive
from formflow.cli import cli
from formflow.config import Settings
from formflow.web import users as users_module
from formflow.web.access import resolve_person
from formflow.web.users import Users, UsersError, users_path

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's hasher with cheap parameters (the defaults cost 64 MiB and ~0.25 s)."""
    monkeypatch.setattr(users_module, "default_hasher", lambda: CHEAP)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "employees.csv").write_text(
        "nr;navn;leder\n1042;Birthe Mølgaard;Lise Løvgren\n1043;Carl Ås;Ole Olsen\n",
        encoding="utf-8",
    )
    (tmp_path / "formflow.toml").write_text('archive = "archive"\n', encoding="utf-8")
    return tmp_path


def run(workspace: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    """The exit status and output as `formflow users ...` gives them (a FormflowError is
    turned into its message and exit code by `cli.main`, not by click)."""
    result = CliRunner().invoke(
        cli, ["--config", str(workspace / "formflow.toml"), "users", *args], input=input
    )
    if isinstance(result.exception, UsersError):
        return result.exception.exit_code, result.output + str(result.exception)
    return result.exit_code, result.output


def test_users_file_is_private_and_keeps_argon2id_hashes_only(tmp_path: Path) -> None:
    users = Users(tmp_path / "archive" / ".formflow" / "users.sqlite", hasher=CHEAP)
    users.add("Hanne", "hr", "", "en lang adgangskode")
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    data = users.path.read_bytes()
    assert b"en lang adgangskode" not in data
    assert b"$argon2id$" in data
    assert users.authenticate("hanne", "en lang adgangskode") == users.get("hanne")
    assert users.authenticate("hanne", "forkert adgangskode") is None
    assert users.authenticate("nobody", "en lang adgangskode") is None


def test_users_refuses_bad_input(tmp_path: Path) -> None:
    users = Users(tmp_path / "users.sqlite", hasher=CHEAP)
    with pytest.raises(UsersError, match="at least 10 characters"):
        users.add("lise", "leader", "Lise Løvgren", "kort")
    with pytest.raises(UsersError, match="needs --person"):
        users.add("lise", "leader", "", "en lang adgangskode")
    with pytest.raises(UsersError, match="give no --person"):
        users.add("hanne", "hr", "1042", "en lang adgangskode")
    with pytest.raises(UsersError, match="role 'boss'"):
        users.add("lise", "boss", "x", "en lang adgangskode")
    with pytest.raises(UsersError, match="login 'li se'"):
        users.add("li se", "hr", "", "en lang adgangskode")
    users.add("lise", "leader", "Lise Løvgren", "en lang adgangskode")
    with pytest.raises(UsersError, match="exists already"):
        users.add("LISE", "leader", "Lise Løvgren", "en lang adgangskode")
    with pytest.raises(UsersError, match="no user"):
        users.remove("ole")


def test_a_new_password_and_removal_end_the_sessions(tmp_path: Path) -> None:
    clock = Clock()
    users = Users(tmp_path / "users.sqlite", hasher=CHEAP, clock=clock)
    users.add("lise", "leader", "Lise Løvgren", "en lang adgangskode")
    users.add("ole", "leader", "Ole Olsen", "en lang adgangskode")
    lise, ole = users.start_session("lise"), users.start_session("ole")
    assert users.session(lise, 60) is not None
    users.set_password("lise", "en ny lang adgangskode")
    assert users.session(lise, 60) is None
    assert users.authenticate("lise", "en ny lang adgangskode") is not None
    users.remove("ole")
    assert users.session(ole, 60) is None
    # only the token's hash is kept: the file does not log anybody in
    token = users.start_session("lise")
    assert token.encode() not in users.path.read_bytes()


def test_a_session_ends_after_the_idle_time(tmp_path: Path) -> None:
    clock = Clock()
    users = Users(tmp_path / "users.sqlite", hasher=CHEAP, clock=clock)
    users.add("lise", "leader", "Lise Løvgren", "en lang adgangskode")
    token = users.start_session("lise")
    clock.now += timedelta(minutes=29)
    assert users.session(token, 30 * 60) is not None  # used: idle from now on
    clock.now += timedelta(minutes=29)
    assert users.session(token, 30 * 60) is not None
    clock.now += timedelta(minutes=31)
    assert users.session(token, 30 * 60) is None
    assert users.session(token, 10**9) is None  # removed, not just refused


def test_failures_are_counted_within_their_window(tmp_path: Path) -> None:
    clock = Clock()
    users = Users(tmp_path / "users.sqlite", hasher=CHEAP, clock=clock)
    for _ in range(3):
        users.record_failure(("login:lise", "address:10.0.0.1"), 900)
    assert users.failures("login:lise", 900) == 3
    assert users.failures("address:10.0.0.1", 900) == 3
    clock.now += timedelta(minutes=16)
    assert users.failures("login:lise", 900) == 0


def test_the_csrf_secret_is_made_once(tmp_path: Path) -> None:
    first = Users(tmp_path / "users.sqlite", hasher=CHEAP).secret()
    assert len(first) == 32
    assert Users(tmp_path / "users.sqlite", hasher=CHEAP).secret() == first


# --- the command line -----------------------------------------------------------------------


@pytest.mark.usefixtures("cheap_hashes")
def test_users_add_asks_twice_and_resolves_an_employee_by_name(workspace: Path) -> None:
    code, out = run(
        workspace,
        "add",
        "birthe",
        "--role",
        "employee",
        "--person",
        "birthe mølgaard",
        input="hemmelig-kode-1\nhemmelig-kode-1\n",
    )
    assert code == 0, out
    assert "added birthe (employee for 1042)" in out
    users = Users(users_path(workspace / "archive"), hasher=CHEAP)
    assert users.authenticate("birthe", "hemmelig-kode-1") is not None
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    code, out = run(workspace, "add", "x", "--role", "hr", input="aaaaaaaaaaaa\nbbbbbbbbbbbb\n")
    assert code != 0 and "do not match" in out


@pytest.mark.usefixtures("cheap_hashes")
def test_users_add_list_passwd_remove(workspace: Path) -> None:
    code, out = run(
        workspace,
        "add",
        "lise",
        "--role",
        "leader",
        "--person",
        "Lise Løvgren",
        "--password-stdin",
        input="hemmelig-kode-1\n",
    )
    assert code == 0, out
    code, out = run(workspace, "list")
    assert code == 0 and "lise" in out and "leader" in out and "Lise Løvgren" in out
    users = Users(users_path(workspace / "archive"), hasher=CHEAP)
    token = users.start_session("lise")
    code, out = run(workspace, "passwd", "lise", "--password-stdin", input="hemmelig-kode-2\n")
    assert code == 0 and "sessions have ended" in out
    assert users.session(token, 600) is None
    assert users.authenticate("lise", "hemmelig-kode-2") is not None
    code, out = run(workspace, "remove", "lise")
    assert code == 0 and users.get("lise") is None
    code, out = run(workspace, "remove", "lise")
    assert code == 2 and "no user with login 'lise'" in out


@pytest.mark.usefixtures("cheap_hashes")
def test_users_add_warns_of_a_leader_who_leads_nobody(workspace: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--config", str(workspace / "formflow.toml"), "users", "add", "kim", "--role",
         "leader", "--person", "Kim Nielsen", "--password-stdin"],
        input="hemmelig-kode-1\n",
    )  # fmt: skip
    assert result.exit_code == 0
    assert "no employee has 'Kim Nielsen' as leader" in result.output


def test_resolve_person_of_an_employee(tmp_path: Path) -> None:
    settings = Settings(archive=tmp_path / "archive", roster=tmp_path / "none.csv")
    archive = Archive.open(settings)
    roster = {"1042": _Entry("Birthe Mølgaard", "Lise"), "1043": _Entry("Birthe Mølgaard", "Ole")}
    assert resolve_person("employee", "1042", roster, {}) == ("1042", None)
    with pytest.raises(UsersError, match="several employees"):
        resolve_person("employee", "Birthe Mølgaard", roster, {})
    with pytest.raises(UsersError, match="no employee"):
        resolve_person("employee", "Carl Ås", roster, archive.index.people())
    number, warning = resolve_person("employee", "2001", roster, {})
    assert number == "2001" and warning and "not on the roster" in warning


class _Entry:
    def __init__(self, name: str, leader: str) -> None:
        self.name, self.leader = name, leader
