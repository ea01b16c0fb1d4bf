"""Folium maps that open with no network and come out byte-identical for the same input.

Leaflet's script, stylesheet and control images are inlined from the ``django-js-lib-leaflet``
package (Leaflet 1.9.4, BSD-2-Clause), which ships them as plain files. folium's other
default assets (jQuery, Bootstrap, Font Awesome, awesome-markers) serve features these maps
do not use and are left out; any other asset an element asks for is an error rather than a
silent CDN link. Every data-derived string is HTML-escaped before it reaches the page.

branca renders each element's output a second time, as a Jinja2 template of its own, so text
in an element's data that looks like template syntax (``{{``, ``{%``, ``{#``) would run or
break the page. :func:`render_html` is the one place every element goes through: before
rendering, every string an element carries has such a ``{`` written as ``&#123;`` (which the
page shows as ``{``), so user text stays data.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import cast

import folium
from branca.element import Element, Figure
from folium.elements import JSCSSMixin

from geoenv.errors import GeoenvError

LEAFLET_PACKAGE = "js_lib_leaflet"
INLINED = {"leaflet": "leaflet.js", "leaflet_css": "leaflet.css"}
NOT_NEEDED = {
    "jquery",
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers",
    "awesome_markers_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
}


class MapError(GeoenvError):
    """A map cannot be made as asked."""


TEMPLATE_OPENER = re.compile(r"\{(?=[{%#])")
_OWN = {"_parent", "_children", "_template", "_template_str", "_template_name"}


def neutralise(value: object) -> object:
    """``value`` (a string, or dicts and lists of them) with every ``{`` that opens Jinja
    syntax written as the HTML entity ``&#123;``."""
    if isinstance(value, str):
        return TEMPLATE_OPENER.sub("&#123;", value)
    if isinstance(value, dict):
        return {neutralise(k): neutralise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(neutralise(v) for v in value)
    return value


def _neutralise_element(element: Element) -> None:
    """Neutralise template syntax in the data ``element`` carries (its attributes)."""
    for key, value in list(vars(element).items()):
        if key in _OWN or not isinstance(value, str | dict | list | tuple):
            continue
        text = value if isinstance(value, str) else json.dumps(value, default=repr, ensure_ascii=False)
        if TEMPLATE_OPENER.search(text):
            setattr(element, key, neutralise(value))


def _asset(name: str) -> str:
    folder = resources.files(LEAFLET_PACKAGE) / "static" / LEAFLET_PACKAGE
    text = (folder / INLINED[name]).read_text(encoding="utf-8")
    if name.endswith("css"):
        # Leaflet's stylesheet points at its control images: inline them as data URIs.
        def data_uri(match: re.Match) -> str:
            image = (folder / match.group(1)).read_bytes()
            return f"url(data:image/png;base64,{base64.b64encode(image).decode()})"

        text = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, text)
        return f"<style>{text}</style>"
    return f"<script>{text}</script>"


def _walk(element: Element) -> Iterator[Element]:
    yield element
    if isinstance(element, Figure):
        for part in (element.header, element.html, element.script):
            yield from _walk(part)
    for child in list(element._children.values()):
        yield from _walk(child)


def render_html(fmap: folium.Map, *, offline: bool = True) -> str:
    """Render a map to one HTML page, deterministically (stable element ids).

    With ``offline`` (the default) every script and stylesheet is inlined; otherwise folium's
    CDN links stay (a smaller file that needs the internet).

    Raises
    ------
    MapError
        When an element needs a script or stylesheet that has no offline copy.
    """
    figure = cast(Figure, fmap.get_root())  # a folium Map always sits in a branca Figure
    needed: list[str] = []
    for count, element in enumerate(_walk(figure)):
        element._id = f"{count:06d}"  # stable ids instead of random ones
        _neutralise_element(element)
        if offline and isinstance(element, JSCSSMixin):
            for name, url in [*element.default_js, *element.default_css]:
                if name in INLINED:
                    if name not in needed:
                        needed.append(name)
                elif name not in NOT_NEEDED:
                    raise MapError(f"no offline copy of {name} ({url}) for {type(element).__name__}")
            element.default_js = []
            element.default_css = []
    for name in sorted(needed, key=lambda n: n.endswith("css")):
        figure.header.add_child(Element(_asset(name)), name=f"inline_{name}")
    return figure.render()


def browser() -> str | None:
    """The Chromium (or Chrome) executable on this machine, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(html: str, *, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A PNG of the page as a browser draws it (headless Chromium, no network)."""
    executable = browser()
    if executable is None:
        raise MapError("--png needs Chromium: install it (apt install chromium) or leave --png out")
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "map.html"
        page.write_text(html, encoding="utf-8")
        shot = Path(folder) / "map.png"
        command = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--hide-scrollbars", f"--window-size={size[0]},{size[1]}",
            f"--user-data-dir={folder}/profile", "--virtual-time-budget=5000", f"--screenshot={shot}", page.as_uri(),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)
        if not shot.exists():
            raise MapError(f"Chromium made no screenshot: {done.stderr.decode(errors='replace')[-300:]}")
        return shot.read_bytes()
