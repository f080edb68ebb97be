"""`python app.py users ...`: who may log in, with which role. Admin work is done here, not on the web.

    users add NAME --role viewer|officer|admin --password-stdin
    users list [--json]
    users remove NAME
    users set-password NAME --password-stdin
    users set-role NAME --role viewer|officer|admin
    users logout NAME                       end every session of NAME, keeping the password

set-password, set-role, logout and remove end the user's open sessions. Without --password-stdin the
password is asked for twice on the terminal (never echoed, never an argument: arguments show up in `ps`
and shell history). Exit 0: done; 2: bad input (a name, role or password the rules refuse, a user that
does not exist or exists already).
"""

from __future__ import annotations

import getpass
import json
import sys

from dashboard.roles import ROLES, CredentialError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("users", help="users who may log in, and their roles")
    sub = p.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    listing = sub.add_parser("list", help="list the users")
    listing.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", help="remove a user (ends their sessions)")
    remove.add_argument("name")
    password = sub.add_parser("set-password", help="set a new password (ends the user's sessions)")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true")
    role = sub.add_parser("set-role", help="change the role (ends the user's sessions)")
    role.add_argument("name")
    role.add_argument("--role", required=True, choices=ROLES)
    logout = sub.add_parser("logout", help="end every session of a user")
    logout.add_argument("name")


class _BadInput(Exception):
    pass


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise _BadInput("--password-stdin: nothing on standard input")
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise _BadInput("give the password with --password-stdin, or run this on a terminal to be asked for it")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise _BadInput("the two passwords differ")
    return first


def run(settings, args) -> int:
    from data_sources.store import users
    from data_sources.store.database import engine_for, upgrade

    engine = engine_for(settings)
    try:
        upgrade(engine)
        command = args.users_command
        if command == "add":
            account = users.add_user(engine, args.name, args.role, read_password(args.password_stdin))
            print(f"added {account.name} ({account.role})")
        elif command == "list":
            accounts = users.list_users(engine)
            if args.json:
                print(
                    json.dumps(
                        [
                            {
                                "name": a.name,
                                "role": a.role,
                                "created_at": a.created_at.isoformat(),
                                "updated_at": a.updated_at.isoformat(),
                            }
                            for a in accounts
                        ],
                        indent=2,
                    )
                )
            else:
                for a in accounts:
                    print(f"{a.name:<32} {a.role:<8} changed {a.updated_at:%Y-%m-%d %H:%M} UTC")
                if not accounts:
                    print("no users yet: add one with `app.py users add NAME --role admin --password-stdin`")
        elif command == "remove":
            users.remove_user(engine, args.name)
            print(f"removed {args.name.strip().lower()}")
        elif command == "set-password":
            account = users.set_password(engine, args.name, read_password(args.password_stdin))
            print(f"new password for {account.name}; their open sessions have ended")
        elif command == "set-role":
            account = users.set_role(engine, args.name, args.role)
            print(f"{account.name} is now {account.role}; their open sessions have ended")
        elif command == "logout":
            account = users.end_sessions(engine, args.name)
            print(f"every session of {account.name} has ended")
    except (CredentialError, _BadInput) as exc:
        print(f"users {args.users_command}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


DEMO_USER = "demo"


def demo_login(settings, engine) -> str:
    """The line `app.py demo` prints about logging in.

    On the embedded database the demo makes (or renews) a `demo` account with a new random password at
    every start and prints it once: as easy as a documented fixed password, but not one that works on every
    copy of the demo, nor one that keeps working on a demo database someone later puts to real use or on a
    demo port left open to the network. It is an officer, so that every panel can be tried: the people in
    the demo data are simulated. On a database the operator configured, the demo makes no account.
    """
    import secrets

    from data_sources.store import users

    if settings.database_url is not None:
        return "Log in with an account made by `app.py users add NAME --role viewer --password-stdin`"
    password = secrets.token_urlsafe(12)
    try:
        users.set_password(engine, DEMO_USER, password)
    except users.UnknownUser:
        users.add_user(engine, DEMO_USER, "officer", password)
    return f"Log in as {DEMO_USER} / {password}   (a new password at every start of the demo)"
