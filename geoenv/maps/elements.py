"""Small Leaflet elements of our own, written as folium elements so that they render with the
page: point layers drawn on the canvas with distinct shapes, a search box, a period slider,
decluttered labels, a km scale bar, a north arrow, fixed HTML blocks. No external assets; data
reaches the page through ``tojson`` (which escapes ``<``, ``>`` and ``&``), and popup HTML is
built from escaped values."""

from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Environment

# One Leaflet class for every shape: a CircleMarker (so canvas-rendered and clickable) whose
# path is a square, triangle, diamond … of the same radius.
_SHAPE_JS = """
L.GeoenvShape = L.CircleMarker.extend({
  options: {shape: 'circle'},
  _updatePath: function () {
    var r = this._renderer;
    if (!r._ctx || this.options.shape === 'circle') { return L.CircleMarker.prototype._updatePath.call(this); }
    if (!r._drawing || this._empty()) { return; }
    var ctx = r._ctx, p = this._point, s = this._radius, i, a, pts = [];
    var sides = {'square': [4, Math.PI / 4], 'triangle': [3, -Math.PI / 2], 'triangle-down': [3, Math.PI / 2],
                 'diamond': [4, 0], 'hexagon': [6, 0], 'star': [10, -Math.PI / 2]}[this.options.shape] || [4, 0];
    for (i = 0; i < sides[0]; i++) {
      a = sides[1] + 2 * Math.PI * i / sides[0];
      var k = this.options.shape === 'star' && i % 2 ? 0.45 : (this.options.shape === 'square' ? 1.3 : 1.15);
      pts.push([p.x + k * s * Math.cos(a), p.y + k * s * Math.sin(a)]);
    }
    ctx.beginPath();
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (i = 1; i < pts.length; i++) { ctx.lineTo(pts[i][0], pts[i][1]); }
    ctx.closePath();
    r._fillStroke(ctx, this);
  }
});
"""


# Our elements' data goes out as JSON with Chinese as UTF-8 text, not ``\uXXXX`` (a third of
# the bytes; ``tojson`` still escapes ``< > & '``); folium's own elements keep their defaults.
_TEMPLATES = Environment(autoescape=False)
_TEMPLATES.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
Template = _TEMPLATES.from_string


class _Element(MacroElement):
    def __init__(self, template: str, **values: object) -> None:
        super().__init__()
        self._name = type(self).__name__
        self._template = Template(template)
        self.__dict__.update(values)


class Html(_Element):
    """A fixed block of HTML placed on the page (title, legend, links)."""

    def __init__(self, body: str):
        super().__init__("{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}", body=body)


class ShapeSupport(_Element):
    """Defines ``L.GeoenvShape`` once per page."""

    def __init__(self) -> None:
        super().__init__("{% macro script(this, kwargs) %}" + _SHAPE_JS + "{% endmacro %}")


class PointLayer(folium.map.Layer):
    """A layer of points drawn as canvas shapes, one Leaflet layer for all of them.

    Compact on purpose (thousands of points): the layer holds the popup's row labels
    (``fields``), the look shared by its points (``style``) and which values make the tooltip
    (``tooltip``); each feature holds only its values ``v`` (escaped HTML text, in ``fields``
    order: the first is the key searched, the second the name), any style of its own ``s``,
    and for sections its class per period ``c`` and per period ``p`` the values of the fields
    numbered ``periodic``, shown in the popup and tooltip while the slider is on that period.
    The fields numbered ``wide`` (a drawing) take the popup's whole width under their label.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  var fields = {{ this.fields|tojson }}, base = {{ this.style|tojson }}, tip = {{ this.tooltip|tojson }};
  var periodic = {{ this.periodic|tojson }}, wide = {{ this.wide|tojson }}, group;
  // the values shown: those of the period on the slider (group.geoenvPeriod) where it has them
  function shown(f) {
    var v = f.properties.v, p = f.properties.p, i = group.geoenvPeriod;
    if (!p || i === undefined || !p[i]) { return v; }
    v = v.slice();
    periodic.forEach(function (j, k) { v[j] = p[i][k]; });
    return v;
  }
  group = L.geoJSON({{ this.data|tojson }}, {
    name: {{ this.layer_name|tojson }},
    pointToLayer: function (f, latlng) { return new L.GeoenvShape(latlng, L.extend({}, base, f.properties.s)); },
    onEachFeature: function (f, layer) {
      layer.bindPopup(function () {
        var v = shown(f), rows = '';
        for (var i = 0; i < fields.length; i++) {
          if (v[i] === '' || v[i] === null) { continue; }
          rows += wide.indexOf(i) >= 0
            ? '<tr><td colspan="2"><div style="color:#555;margin-top:4px">' + fields[i] + '</div>' + v[i] + '</td></tr>'
            : '<tr><th>' + fields[i] + '</th><td>' + v[i] + '</td></tr>';
        }
        return '<table class="geoenv-popup">' + rows + '</table>';
      }, {maxWidth: 420, maxHeight: Math.max(200, window.innerHeight - 160)});
      layer.bindTooltip(function () { var v = shown(f); return tip.map(function (i) { return v[i]; }).join(' '); });
    }
  });
  return group;
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}"""
    )

    def __init__(
        self,
        data: dict,
        name: str,
        *,
        fields: list[str],
        style: dict,
        tooltip: tuple[int, ...] = (1,),
        show: bool = True,
        control: bool = True,
        periodic: list[int] | None = None,
        wide: list[int] | None = None,
    ):
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "PointLayer"
        self.data, self.fields, self.style, self.tooltip = data, fields, style, list(tooltip)
        self.periodic, self.wide = list(periodic or []), list(wide or [])


class Search(_Element):
    """A search box: type a code or a name, pick it, and the map flies there and opens it."""

    def __init__(self, layers: list[PointLayer]):
        super().__init__(
            """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }}, index = {}, names = [], decoder = document.createElement('textarea');
  // values are escaped HTML (for popups); the search lists and matches them as plain text
  function text(html) { decoder.innerHTML = html; return decoder.value; }
  [{% for layer in this.layers %}{{ layer.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}]
    .forEach(function (group) {
      group.eachLayer(function (l) {
        var v = l.feature.properties.v, key = text(v[0]) + ' ' + text(v[1]);
        index[key] = {marker: l, group: group}; names.push(key);
      });
    });
  var box = L.control({position: 'topleft'});
  box.onAdd = function () {
    var div = L.DomUtil.create('div', 'geoenv-search');
    div.innerHTML = '<input type="search" list="geoenv-search-list" placeholder="搜索 断面编码/名称 search">' +
      '<datalist id="geoenv-search-list"></datalist>';
    var list = div.querySelector('datalist');
    names.sort().forEach(function (n) { var o = document.createElement('option'); o.value = n; list.appendChild(o); });
    var input = div.querySelector('input');
    input.addEventListener('change', function () {
      var hit = index[input.value];
      if (!hit) {
        var q = input.value.trim();
        for (var k in index) { if (k.indexOf(q) >= 0) { hit = index[k]; break; } }
      }
      if (hit) {
        if (!map.hasLayer(hit.group)) { map.addLayer(hit.group); }
        // open it once the map is there: a popup opened in flight is not panned into view
        map.once('moveend', function () { hit.marker.openPopup(); });
        map.setView(hit.marker.getLatLng(), Math.max(map.getZoom(), 11));
      }
    });
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  box.addTo(map);
})();
{% endmacro %}""",
            layers=layers,
        )


class Timeline(_Element):
    """A slider that steps a section layer through periods: each section is recoloured by its
    class in that period (``c`` in its properties, one per period) and its popup shows that
    period's values (``p``); each river line of ``rivers`` takes its colour of the period
    (``k``); the slider and the period after the title (``.geoenv-title-period``) name the period
    in words (``titles``, one per period; the codes without)."""

    def __init__(
        self,
        layer: PointLayer,
        periods: list[str],
        palette: dict[str, str],
        no_data: str,
        start: int,
        *,
        rivers: folium.GeoJson | None = None,
        titles: list[str] | None = None,
    ):
        super().__init__(
            """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }}, layer = {{ this.layer.get_name() }};
  var rivers = {% if this.rivers %}{{ this.rivers.get_name() }}{% else %}null{% endif %};
  var periods = {{ this.periods|tojson }}, titles = {{ this.titles|tojson }};
  var palette = {{ this.palette|tojson }}, noData = {{ this.no_data|tojson }};
  var stamp = document.querySelector('.geoenv-title-period');
  var box = L.control({position: 'bottomright'});
  box.onAdd = function () {
    var div = L.DomUtil.create('div', 'geoenv-timeline');
    div.innerHTML = '<div>时段 <b class="geoenv-period"></b></div>' +
      '<input type="range" min="0" max="' + (periods.length - 1) + '" value="' + {{ this.start }} + '">';
    var input = div.querySelector('input'), label = div.querySelector('.geoenv-period');
    function show(i) {
      label.textContent = titles[i];
      if (stamp) { stamp.textContent = '（' + titles[i] + '）'; }
      layer.geoenvPeriod = i;
      layer.eachLayer(function (l) {
        var c = (l.feature.properties.c || [])[i];
        l.setStyle({fillColor: palette[c] || noData});
        if (l.isPopupOpen()) { l.getPopup().update(); }
      });
      if (rivers) {
        rivers.eachLayer(function (l) { var k = l.feature.properties.k; if (k) { l.setStyle({color: k[i]}); } });
      }
    }
    input.addEventListener('input', function () { show(+input.value); });
    show({{ this.start }});
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  box.addTo(map);
})();
{% endmacro %}""",
            layer=layer,
            periods=periods,
            titles=titles or periods,
            palette=palette,
            no_data=no_data,
            start=int(start),
            rivers=rivers,
        )


class Attribution(_Element):
    """Adds the data's sources to the map's attribution line."""

    def __init__(self, text: str):
        super().__init__(
            """
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
{% endmacro %}""",
            text=text,
        )


class ScaleBar(_Element):
    """Leaflet's scale bar in kilometres only, stacked in the bottom-right corner with the
    period slider and the attribution (a corner's controls never overlap one another)."""

    def __init__(self) -> None:
        super().__init__(
            """
{% macro script(this, kwargs) %}
L.control.scale({position: 'bottomright', metric: true, imperial: false, maxWidth: 150})
  .addTo({{ this._parent.get_name() }});
{% endmacro %}"""
        )


_NORTH_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="44" viewBox="0 0 28 44" role="img" aria-label="北">'
    '<text x="14" y="11" text-anchor="middle" font-family="sans-serif" font-size="11" font-weight="bold">N</text>'
    '<path d="M14 14 L23 40 L14 34 Z" fill="#222"/><path d="M14 14 L5 40 L14 34 Z" fill="#fff" stroke="#222"/>'
    "</svg>"
)


class NorthArrow(_Element):
    """A north arrow (inline SVG) above the scale bar. Leaflet's web-Mercator maps keep north up."""

    def __init__(self) -> None:
        super().__init__(
            """
{% macro script(this, kwargs) %}
(function () {
  var arrow = L.control({position: 'bottomright'});
  arrow.onAdd = function () {
    var div = L.DomUtil.create('div', 'geoenv-north');
    div.innerHTML = {{ this.svg|tojson }};
    return div;
  };
  arrow.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}""",
            svg=_NORTH_SVG,
        )


class MapLabels(_Element):
    """Names on the map (sections beside their points, rivers along their lines, counties),
    added to the layer they belong to, one Leaflet marker each, decluttered on every zoom and
    pan: in the given order (the most important first), a label is shown only where its box
    overlaps no label shown before it and lies inside the map.

    ``labels``: latitude, longitude, the label's escaped HTML text, its angle in degrees
    (clockwise; 0 but for rivers) and its kind (``section``, ``river`` or ``county``, a CSS
    class)."""

    def __init__(self, fmap: folium.Map, labels: list[tuple[float, float, str, float, str]]):
        super().__init__(
            """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this.fmap.get_name() }}, group = {{ this._parent.get_name() }}, spans = [];
  {{ this.labels|tojson }}.forEach(function (l) {
    var turn = l[4] === 'river' ? ' style="transform:translate(-50%,-50%) rotate(' + l[3] + 'deg)"' : '';
    var marker = L.marker([l[0], l[1]], {interactive: false, keyboard: false, icon: L.divIcon({
      className: 'geoenv-maplabel-at', iconSize: [0, 0],
      html: '<span class="geoenv-maplabel geoenv-maplabel-' + l[4] + '"' + turn + '>' + l[2] + '</span>'})});
    marker.addTo(group);
    spans.push(marker);
  });
  function declutter() {
    if (!map.hasLayer(group)) { return; }
    var frame = map.getContainer().getBoundingClientRect(), shown = [], pad = 2;
    var boxes = spans.map(function (m) { return m.getElement().firstChild.getBoundingClientRect(); });
    var keep = boxes.map(function (b) {
      var out = b.left < frame.left || b.top < frame.top || b.right > frame.right || b.bottom > frame.bottom;
      if (out) { return false; }
      for (var i = 0; i < shown.length; i++) {
        var s = shown[i];
        if (b.left < s.right + pad && s.left < b.right + pad && b.top < s.bottom + pad && s.top < b.bottom + pad) {
          return false;
        }
      }
      shown.push(b);
      return true;
    });
    spans.forEach(function (m, i) { m.getElement().firstChild.style.visibility = keep[i] ? 'visible' : 'hidden'; });
  }
  map.on('zoomend moveend overlayadd', declutter);
  map.whenReady(declutter);
})();
{% endmacro %}""",
            fmap=fmap,
            labels=[list(label) for label in labels],
        )
