"""Issue 15, item 6: an attacker slows down their own guessing, never the real user on their own device.

Failures count per (name, address) pair with growing delays; an address that fails too often is locked
(only itself); a name is locked only when many addresses fail for it, and then not for the addresses it
has logged in from before."""

from __future__ import annotations

import pytest

from tests.integration.test_auth_web import PASSWORD, client_at
from tests.support.auth_helpers import create_user, login
from web.factory import create_app
from web.login_throttle import LoginThrottle

WRONG = "not the password at all"


@pytest.fixture
def throttle_settings(redis_settings):
    return redis_settings.with_overrides(
        login_max_failures=3, login_max_failures_per_ip=50, login_name_lock_addresses=4, login_lockout_minutes=15
    )


@pytest.fixture
def app(throttle_settings, redis_client):
    from data_sources.store.database import make_engine, upgrade

    engine = make_engine(throttle_settings.resolved_database_url)
    upgrade(engine)
    create_user(engine, "sekda", "officer", PASSWORD)
    yield create_app(throttle_settings, engine=engine, redis_client=redis_client)
    engine.dispose()


def test_an_attacker_address_cannot_lock_out_the_real_users_address(app):
    attacker = client_at(app, "203.0.113.66")
    statuses = [login(attacker, "sekda", WRONG, expect_success=False).status_code for _ in range(30)]
    assert statuses[:2] == [401, 401] and set(statuses[3:]) == {429}  # the attacker is slowed down
    login(client_at(app, "10.20.30.40"), "sekda", PASSWORD)  # the officer at their desk is not


def test_the_delays_of_one_pair_grow_up_to_the_lockout(throttle_settings, redis_client):
    throttle = LoginThrottle(redis_client, throttle_settings)
    waits = [throttle.failed("sekda", "203.0.113.66") for _ in range(10)]
    assert waits[:2] == [0, 0]
    growing = waits[2:]
    assert growing[0] > 0 and all(b >= a for a, b in zip(growing, growing[1:])) and growing[-1] > growing[0]
    assert max(growing) <= 15 * 60
    assert throttle.locked_for("sekda", "10.20.30.40") == 0  # another address: nothing
    assert throttle.locked_for("kadis", "203.0.113.66") == 0  # another name from the same address: nothing


def test_a_name_is_locked_only_when_many_addresses_fail_and_not_for_its_known_device(app):
    login(client_at(app, "10.20.30.40"), "sekda", PASSWORD)  # the officer's own device, known from now on
    for n in range(3):
        login(client_at(app, f"198.51.100.{n}"), "sekda", WRONG, expect_success=False)
    login(client_at(app, "10.99.0.1"), "sekda", PASSWORD)  # three addresses failing do not lock the name
    login(client_at(app, "198.51.100.3"), "sekda", WRONG, expect_success=False)  # the fourth does
    response = login(client_at(app, "10.99.0.2"), "sekda", PASSWORD, expect_success=False)
    assert response.status_code == 429  # an unknown address, even with the right password, waits
    login(client_at(app, "10.20.30.40"), "sekda", PASSWORD)  # the known device still gets in


def test_an_address_failing_across_many_names_locks_only_itself(throttle_settings, app):
    app = create_app(
        throttle_settings.with_overrides(login_max_failures_per_ip=5),
        engine=app.server.extensions["pantau"].engine,
        redis_client=app.server.extensions["pantau"].redis,
    )
    spray = client_at(app, "203.0.113.7")
    for n in range(5):
        login(spray, f"guess{n}", WRONG, expect_success=False)
    assert login(spray, "sekda", PASSWORD, expect_success=False).status_code == 429
    login(client_at(app, "10.20.30.40"), "sekda", PASSWORD)
