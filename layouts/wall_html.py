"""The wall's panels as HTML text, so that the browser draws them with one clientside render
(assets/wall.js) instead of as hundreds of Dash components: every component in a Dash page re-runs a selector
on every store update, which kept a wall PC without a GPU a quarter of a core busy (issue 19 item 2).

Only `dash.html` components are accepted; every text and attribute value is escaped, so the text of an
event (a category code, an OPD name) can never become markup in the page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from dash.development.base_component import Component

HTML_NAMESPACE = "dash_html_components"
ROWS_MARK = "data-wall-rows"  # the element whose children are a panel's keyed rows (assets/wall.js)
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "col", "wbr"})
_ATTRIBUTES = {"className": "class", "id": "id", "title": "title", "role": "role"}


class _Rows:
    """Where a panel's rows go inside its wrapper: the element holding it is marked, and it adds nothing."""


ROWS = _Rows()


def to_html(node: Any) -> str:
    """HTML text of a Dash html component tree (or of a list of them, text, numbers; None is nothing)."""
    if node is None or node is ROWS or isinstance(node, bool):
        return ""
    if isinstance(node, str):
        return escape(node, quote=False)
    if isinstance(node, int | float):
        return escape(str(node), quote=False)
    if isinstance(node, list | tuple):
        return "".join(to_html(child) for child in node)
    if not isinstance(node, Component) or node._namespace != HTML_NAMESPACE:
        raise ValueError(f"not a dash.html component: {type(node).__name__}")
    tag = node._type.lower()
    props = node.to_plotly_json()["props"]
    children = props.pop("children", None)
    attributes = []
    for name, value in props.items():
        if value is None:
            continue
        if name in _ATTRIBUTES:
            attributes.append(f'{_ATTRIBUTES[name]}="{escape(str(value))}"')
        elif name.startswith(("data-", "aria-")):
            attributes.append(f'{name}="{escape(str(value))}"')
        else:
            raise ValueError(f"attribute {name!r} of {tag} is not drawn on the wall")
    if _holds_rows(children):
        attributes.append(f'{ROWS_MARK}=""')
    opening = f"<{tag}{''.join(' ' + a for a in attributes)}>"
    return opening if tag in _VOID else f"{opening}{to_html(children)}</{tag}>"


def _holds_rows(children: Any) -> bool:
    return children is ROWS or (isinstance(children, list | tuple) and any(c is ROWS for c in children))
