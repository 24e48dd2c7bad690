"""Make GX Data Docs render styled without network (the product runs air-gapped).

GX's pages load Bootstrap, jQuery, Font Awesome, bootstrap-table, Vega and images from CDNs.
This copies local files shipped by PyPI packages of the XStatic family into the site's
``static/vendor/`` and rewrites every page to use them (relative paths, so the site can be
moved or opened from disk):

==================  ================================  ==========================================
CDN asset           local copy from                   note
==================  ================================  ==========================================
Bootstrap 4.3 CSS   XStatic-Bootstrap 4.5.3.1         same major version, same class names
Bootstrap 4.3 JS    XStatic-Bootstrap (bundle)        the bundle includes Popper
Popper 1.12         (in the bundle)                   tag removed
jQuery 3.7.1        XStatic-jQuery 3.7.1.1            same version
Font Awesome 6.6    XStatic-Font-Awesome 6.2.1.2      the check and cross icons of results
web-asset images    GX's own ``static/images``        logo
==================  ================================  ==========================================

The index page builds its two tables with the bootstrap-table plugin, which no PyPI package
ships: it is replaced by ``TABLE_SHIM``, a few lines of our own that render the same rows
(sorted as asked, rows clickable) without search, filters or pagination. Tags for the rest
(bootstrap-table's filter extension, bootstrap-datepicker, the dark theme, Vega, Vega-Lite,
Vega-Embed) are removed: the few chart-rendering expectations would show no chart; the suites
of Radar use none. ``integrity`` attributes go with the CDN URLs. After
rewriting, no page loads anything from the network (``remote_loads`` checks it).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from pathlib import Path
from typing import Final

#: (pattern of the CDN URL, package module, file in its data dir or None to drop the tag).
_ASSETS: Final[tuple[tuple[str, str, str | None], ...]] = (
    (
        r"bootstrap(?:@[\d.]+)?/(?:[\d.]+/)?(?:dist/)?css/bootstrap(?:\.min)?\.css",
        "xstatic.pkg.bootstrap",
        "css/bootstrap.min.css",
    ),
    (
        r"bootstrap(?:@[\d.]+)?/(?:[\d.]+/)?(?:dist/)?js/bootstrap(?:\.min)?\.js",
        "xstatic.pkg.bootstrap",
        "js/bootstrap.bundle.min.js",
    ),
    (r"jquery-[\d.]+(?:\.min)?\.js", "xstatic.pkg.jquery", "jquery.min.js"),
    (r"font-awesome/[\d.]+/css/all(?:\.min)?\.css", "xstatic.pkg.font_awesome", "css/all.min.css"),
    (r"bootstrap-table@[\d.]+/dist/bootstrap-table(?:\.min)?\.js", "radar", "table-shim.js"),
)
#: Renders bootstrap-table's ``columns`` and ``data`` options as a plain table.
TABLE_SHIM: Final = """(function ($) {
  function call(name, row, i) {
    var f = typeof name === "function" ? name : window[name];
    return typeof f === "function" ? f(row, i) || {} : {};
  }
  $.fn.bootstrapTable = function (options) {
    if (typeof options !== "object") { return this; }
    return this.each(function () {
      var $table = $(this), columns = options.columns || [], rows = (options.data || []).slice();
      if (options.sortName) {
        var key = options.sortName, sign = options.sortOrder === "desc" ? -1 : 1;
        rows.sort(function (a, b) {
          var x = a["_" + key + "_sort"] || a[key], y = b["_" + key + "_sort"] || b[key];
          return x < y ? -sign : x > y ? sign : 0;
        });
      }
      var $head = $("<tr>");
      columns.forEach(function (c) { $head.append($("<th>").text(c.title || c.field)); });
      var $body = $("<tbody>");
      rows.forEach(function (row, i) {
        var $tr = $("<tr>"), attrs = call(options.rowAttributes, row, i);
        Object.keys(attrs).forEach(function (k) { $tr.attr(k, attrs[k]); });
        $tr.css(call(options.rowStyle, row, i).css || {});
        columns.forEach(function (c) {
          $tr.append($("<td>").css("text-align", c.align || "").html(row[c.field]));
        });
        $tr.on("click", function () { $table.trigger("click-row.bs.table", [row, $tr]); });
        $body.append($tr);
      });
      $table.empty().addClass("table table-hover")
        .append($("<thead>").append($head)).append($body);
    });
  };
})(jQuery);
"""
_VENDOR: Final = ("xstatic.pkg.bootstrap", "xstatic.pkg.jquery", "xstatic.pkg.font_awesome")
_TAG = re.compile(
    r"<(script|link)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"[^>]*>(?:\s*</script>)?",
    re.IGNORECASE,
)
_IMAGE = re.compile(r"\"https://great-expectations-web-assets[^\"/]*/([^\"]+)\"")
_REMOTE = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"https?://", re.IGNORECASE)


def _data_dir(module: str) -> Path:
    return Path(importlib.import_module(module).BASE_DIR)


def _vendor_name(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def copy_assets(site: Path) -> Path:
    """Copy the vendored assets into ``site/static/vendor`` (once); returns that directory."""
    vendor = site / "static" / "vendor"
    (vendor / "radar").mkdir(parents=True, exist_ok=True)
    (vendor / "radar" / "table-shim.js").write_text(TABLE_SHIM, encoding="utf-8")
    for module in _VENDOR:
        target = vendor / _vendor_name(module)
        if not target.is_dir():
            shutil.copytree(
                _data_dir(module),
                target,
                ignore=shutil.ignore_patterns(
                    "*.py", "__pycache__", "scss", "less", "sprites", "svgs", "metadata"
                ),
            )
    return vendor


def _rewrite(html: str, to_static: str) -> str:
    def replace(match: re.Match[str]) -> str:
        tag, url = match.group(1).lower(), match.group(2)
        for pattern, module, local in _ASSETS:
            if local is not None and re.search(pattern, url):
                path = f"{to_static}/vendor/{_vendor_name(module)}/{local}"
                if tag == "script":
                    return f'<script src="{path}"></script>'
                return f'<link rel="stylesheet" href="{path}">'
        return ""

    html = _TAG.sub(replace, html)
    return _IMAGE.sub(lambda m: f'"{to_static}/images/{Path(m.group(1)).name}"', html)


def remote_loads(site: Path) -> list[str]:
    """Pages of ``site`` that would still load something from the network (relative paths)."""
    return sorted(
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if _REMOTE.search(page.read_text(encoding="utf-8"))
    )


def make_offline(site: Path) -> Path | None:
    """Rewrite every page of the Data Docs ``site``; returns its ``index.html`` if present."""
    if not site.is_dir():
        return None
    copy_assets(site)
    static = site / "static"
    for page in site.rglob("*.html"):
        if static in page.parents:
            continue
        to_static = os.path.relpath(static, page.parent).replace(os.sep, "/")
        text = page.read_text(encoding="utf-8")
        rewritten = _rewrite(text, to_static)
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
    index = site / "index.html"
    return index if index.is_file() else None
