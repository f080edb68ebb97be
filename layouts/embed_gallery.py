"""The /embed gallery for the portal's webmasters: every widget with its link, a live preview and the snippet
to copy (plain HTML, no Dash)."""

from __future__ import annotations

import html as html_text

from dashboard.embed_widgets import PERIOD_CHOICES, WIDGETS
from dashboard.i18n import t
from layouts.embed import HEIGHTS


def gallery_html(base_url: str | None, lang: str, css_href: str, script_href: str) -> str:
    """The page for the portal's webmasters: every widget with its link, a live preview and its snippet.

    `base_url` is PANTAU_PUBLIC_BASE_URL; without it the snippets hold a placeholder address (a reserved
    .example name, which never resolves) and the page says to replace it."""
    esc = html_text.escape
    parts = []
    base = base_url or t("embed.gallery.placeholder_base", lang)
    note = "" if base_url else f'<p class="gallery-note">{esc(t("embed.gallery.no_base", lang, base=base))}</p>\n'
    for name, spec in WIDGETS.items():
        title = t(f"embed.widget.{name}", lang)
        src = f"/embed/{name}?lang={lang}&theme=light"
        narrow, wide = HEIGHTS[name]
        snippet = (
            f'<iframe src="{base}/embed/{name}?lang={lang}&amp;theme=light" title="{esc(title)}" '
            f'width="100%" height="{narrow}" style="border:0;max-width:800px" loading="lazy"></iframe>'
        )
        periods = PERIOD_CHOICES[spec.kind]
        parts.append(f"""
<section class="gallery-item" id="{name}">
  <h2><a href="/embed/{name}">{esc(title)}</a></h2>
  <p class="gallery-params">{esc(t("embed.gallery.params", lang, periods=periods))}<br>
  {esc(t("embed.gallery.height", lang, narrow=narrow, wide=wide))}</p>
  <iframe src="{esc(src)}" title="{esc(title)}" width="100%" height="{narrow}" loading="lazy"></iframe>
  <label for="snippet-{name}">{esc(t("embed.gallery.snippet", lang))}</label>
  <textarea id="snippet-{name}" readonly rows="3">{esc(snippet)}</textarea>
  <button type="button" data-copy="snippet-{name}" data-done="{esc(t("embed.gallery.copied", lang))}">{esc(t("embed.gallery.copy", lang))}</button>
</section>""")
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(t("embed.gallery.title", lang))}</title><link rel="stylesheet" href="{esc(css_href)}"></head>
<body class="gallery"><script src="{esc(script_href)}" defer></script>
<h1>{esc(t("embed.gallery.title", lang))}</h1>
<p>{esc(t("embed.gallery.intro", lang))}</p>
<p><a href="/embed?lang=id">Bahasa Indonesia</a> · <a href="/embed?lang=en">English</a></p>
{note}{"".join(parts)}
</body></html>"""
