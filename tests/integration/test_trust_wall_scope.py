"""Issue 15, item 7: a wall-token session gets the wall and nothing else, whatever the shape of the page
router's request. Dash hands the router its inputs by position, not by the property named in the body."""

from __future__ import annotations

import copy

import pytest

from tests.integration.test_auth_web import WALL_TOKEN, router_callback
from web.factory import create_app
from web.gate import wall_callback_allowed

# The issue's payload: the first input (which Dash passes as the pathname) says /briefing, under another
# property name; the second (passed as the search) says /wall under the name the old check looked for.
ATTACK = {
    "output": ".._pages_content.children..._pages_store.data..",
    "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
    "inputs": [
        {"id": "_pages_location", "property": "href", "value": "/briefing"},
        {"id": "_pages_location", "property": "pathname", "value": "/wall"},
    ],
    "changedPropIds": ["_pages_location.pathname"],
}


def _variants() -> list[dict]:
    ok = router_callback("/wall")
    out = []
    for mutate in (
        lambda b: b["inputs"].reverse(),  # search first, pathname second
        lambda b: b["inputs"].append({"id": "_pages_location", "property": "pathname", "value": "/wall"}),
        lambda b: b["inputs"].pop(),
        lambda b: b["inputs"][0].update(id={"type": "_pages_location"}),
        lambda b: b["inputs"][1].update(value="?x=1", property="hash"),
        lambda b: b["inputs"][0].update(value=["/wall"]),
        lambda b: b.update(inputs=[[b["inputs"][0]], b["inputs"][1]]),
        lambda b: b.update(state=[{"id": "_pages_location", "property": "pathname", "value": "/briefing"}]),
        lambda b: b.update(outputs=b["outputs"][:1]),
        lambda b: b["outputs"][1].update(property="children"),
    ):
        body = copy.deepcopy(ok)
        mutate(body)
        out.append(body)
    return out


@pytest.fixture
def wall_client(settings, engine, redis_client):
    app = create_app(settings.with_overrides(wall_token=WALL_TOKEN), engine=engine, redis_client=redis_client)
    client = app.server.test_client()
    assert client.get(f"/wall?token={WALL_TOKEN}").status_code == 200
    return client


def test_the_issues_payload_does_not_give_a_wall_session_the_briefing(wall_client):
    response = wall_client.post("/_dash-update-component", json=ATTACK)
    assert response.status_code == 403, response.get_data(as_text=True)[:300]
    assert "briefing" not in response.get_data(as_text=True)


def test_the_exact_router_request_for_the_wall_still_passes(wall_client):
    response = wall_client.post("/_dash-update-component", json=router_callback("/wall"))
    assert response.status_code == 200 and "wall-" in response.get_data(as_text=True)


@pytest.mark.parametrize("body", _variants())
def test_any_other_shape_of_the_router_request_is_refused(body):
    assert not wall_callback_allowed(body)
