"""Icons of the sprite ``app/static/icons.svg``: the ``icon`` macro of ``_macros/icons.html``,
rendered once per application root and kept."""

from markupsafe import Markup

from app.web.urls import app_and_root

ICONS_KEPT = 100
"""How many icons :func:`icon` keeps per app (a few names, under each application root)."""


def icon(name: str) -> Markup:
    """Template global: the icon ``name``, as the ``icon`` macro renders it.

    Each card shows two or three; the macro, called from the card's, was 4-5 us of a card's
    render (the sprite's URL, the macro call, its Markup escaped again), which each worker pays
    for every new post it shows. The icon depends on its name and the application root only.
    """
    app, root = app_and_root()
    key = (root, name)
    icons = app.extensions.setdefault("icons", {})
    html = icons.get(key)
    if html is None:
        if len(icons) >= ICONS_KEPT:
            icons.clear()
        macros = app.jinja_env.get_template("_macros/icons.html").module
        html = icons[key] = macros.icon(name)
    return html
