"""The embed benchmark's floor: a trivial Dash callback at /embed/ on its own Flask server, served by the
same gunicorn as the embeds (gunicorn 'bench.embed_floor:server')."""

import dash
import flask
from dash import Input, Output, dcc, html

server = flask.Flask(__name__)
app = dash.Dash("floor", server=server, url_base_pathname="/embed/", serve_locally=True)
app.layout = html.Div([dcc.Location(id="floor-url"), html.Div(id="floor-body")])


@app.callback(Output("floor-body", "children"), Input("floor-url", "pathname"))
def echo(pathname):
    return "ok"


FLOOR_PAYLOAD = {
    "output": "floor-body.children",
    "outputs": {"id": "floor-body", "property": "children"},
    "inputs": [{"id": "floor-url", "property": "pathname", "value": "/embed/x"}],
    "changedPropIds": ["floor-url.pathname"],
    "state": [],
}
