"""The embed benchmark's floors, served by the same gunicorn as the embeds:

- `server` (gunicorn 'bench.embed_floor:server'): a trivial Dash callback at /embed/ on its own Flask
  server, what any Dash callback costs;
- `empty_wsgi` (gunicorn 'bench.embed_floor:empty_wsgi'): a WSGI app that reads the request's body and
  answers a constant, what the server, the sockets and the load generator cost with no app at all.
"""

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

EMPTY_ANSWER = b'{"ok": true}'


def empty_wsgi(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(EMPTY_ANSWER)))])
    return [EMPTY_ANSWER]
