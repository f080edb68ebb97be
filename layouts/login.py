"""The login and logout pages (server-rendered HTML, no Dash) and the account corner the views may show.

The pages are plain HTML so they work before the Dash app is allowed to load, with the local Bootstrap
(wall machines may have no internet) and large type for a projector. Every value is escaped by Jinja.
"""

from __future__ import annotations

from urllib.parse import urlencode

from jinja2 import Environment
from markupsafe import Markup

from dashboard.i18n import language, t

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

_BASE = """<!DOCTYPE html>
<html lang="{{ lang }}" data-bs-theme="dark">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }} · Pantau Surabaya</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css">
<link rel="stylesheet" href="/assets/pantau.css">
<link rel="stylesheet" href="/assets/login.css">
</head>
<body class="pantau-login">
<main class="pantau-login-card">
  <header class="pantau-login-brand">
    <div class="pantau-login-org">{{ org }}</div>
    <h1 class="pantau-login-title">Pantau Surabaya</h1>
  </header>
  <h2 class="pantau-login-heading">{{ heading }}</h2>
  {% if notice %}<div class="alert alert-info pantau-login-alert" role="status">{{ notice }}</div>{% endif %}
  {% if error %}<div class="alert alert-danger pantau-login-alert" role="alert" id="login-error">{{ error }}</div>{% endif %}
  {{ body }}
  <footer class="pantau-login-footer">
    <a href="{{ switch_url }}" lang="{{ other_lang }}" id="login-language">{{ switch_label }}</a>
  </footer>
</main>
</body>
</html>
"""

_LOGIN_FORM = """
<form method="post" action="/login" class="pantau-login-form" autocomplete="on">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input type="hidden" name="next" value="{{ next }}">
  <input type="hidden" name="lang" value="{{ lang }}">
  <label class="form-label" for="username">{{ username_label }}</label>
  <input class="form-control form-control-lg" id="username" name="username" value="{{ username }}"
         autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="64" required
         {% if not username %}autofocus{% endif %}>
  <label class="form-label" for="password">{{ password_label }}</label>
  <input class="form-control form-control-lg" id="password" name="password" type="password"
         autocomplete="current-password" maxlength="256" required {% if username %}autofocus{% endif %}>
  <button class="btn btn-primary btn-lg w-100" type="submit" id="login-submit">{{ submit }}</button>
</form>
<p class="pantau-login-help">{{ help }}</p>
"""

_LOGOUT_FORM = """
<form method="post" action="/logout" class="pantau-login-form">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input type="hidden" name="lang" value="{{ lang }}">
  <button class="btn btn-primary btn-lg w-100" type="submit" id="logout-submit">{{ submit }}</button>
  <a class="btn btn-outline-secondary btn-lg w-100" href="/">{{ cancel }}</a>
</form>
"""


def _page(
    lang: str,
    title: str,
    heading: str,
    body: str,
    switch_query: dict[str, str],
    *,
    error: str | None = None,
    notice: str | None = None,
    path: str = LOGIN_PATH,
) -> str:
    other = "en" if lang == "id" else "id"
    switch_url = f"{path}?{urlencode({**switch_query, 'lang': other})}"
    return _env.from_string(_BASE).render(
        lang=lang,
        title=title,
        heading=heading,
        org=t("login.org", lang),
        error=error,
        notice=notice,
        body=Markup(body),
        switch_url=switch_url,
        switch_label=t("login.switch_language", lang),
        other_lang=other,
    )


def login_page(
    lang: str, csrf: str, next_path: str, *, username: str = "", error: str | None = None, notice: str | None = None
) -> str:
    lang = language(lang)
    body = _env.from_string(_LOGIN_FORM).render(
        csrf=csrf,
        next=next_path,
        lang=lang,
        username_label=t("login.username", lang),
        password_label=t("login.password", lang),
        username=username,
        submit=t("login.submit", lang),
        help=t("login.help", lang),
    )
    query = {"next": next_path} if next_path != "/" else {}
    return _page(lang, t("login.title", lang), t("login.heading", lang), body, query, error=error, notice=notice)


def logout_page(lang: str, csrf: str, name: str) -> str:
    lang = language(lang)
    body = _env.from_string(_LOGOUT_FORM).render(
        csrf=csrf, lang=lang, submit=t("login.logout", lang), cancel=t("login.cancel", lang)
    )
    return _page(lang, t("login.logout", lang), t("login.logout_question", lang, name=name), body, {}, path=LOGOUT_PATH)
