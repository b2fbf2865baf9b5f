/* The map beside a list of search results (templates/directory/_results_map.html).
 *
 * The list is the page; the map repeats it. Each pin is a real link to the
 * service's page, numbered as in the list and named for screen readers, so a
 * keyboard reaches it with Tab and leaves it with Tab. Without this script,
 * Leaflet or the tile server, the map's section stays hidden or shows its pins
 * on a blank background, and the list works as before.
 */
(function () {
  "use strict";

  // Pins of services at the same place are spread round it, so that each can be seen and chosen.
  function spread(points) {
    var atPlace = {};
    points.forEach(function (point) {
      var key = point.lat + "," + point.lon;
      (atPlace[key] = atPlace[key] || []).push(point);
    });
    Object.keys(atPlace).forEach(function (key) {
      var together = atPlace[key];
      var radius = together.length > 1 ? Math.max(18, together.length * 6) : 0;
      together.forEach(function (point, index) {
        var angle = (2 * Math.PI * index) / together.length - Math.PI / 2;
        point.shift = [Math.round(radius * Math.cos(angle)), Math.round(radius * Math.sin(angle))];
      });
    });
  }

  function pin(point) {
    var link = document.createElement("a");
    link.href = point.url;
    link.className = "results-map__pin-link";
    link.textContent = String(point.number);
    link.setAttribute("aria-label", point.label);
    link.title = point.label;
    // The browser follows the link; the map must not take the click for a drag or a zoom.
    window.L.DomEvent.disableClickPropagation(link);
    return window.L.divIcon({
      html: link,
      className: "results-map__pin",
      iconSize: [30, 30],
      iconAnchor: [15 - point.shift[0], 15 - point.shift[1]],
    });
  }

  function draw(section) {
    var canvas = section.querySelector("[data-map-canvas]");
    var source = document.getElementById(canvas.dataset.points);
    if (!source || typeof window.L === "undefined") {
      return;
    }
    var points = JSON.parse(source.textContent);
    spread(points);
    section.hidden = false;
    var map = window.L.map(canvas, { scrollWheelZoom: false });
    if (canvas.dataset.tileUrl) {
      window.L.tileLayer(canvas.dataset.tileUrl, {
        attribution: canvas.dataset.tileAttribution,
        maxZoom: 19,
        // The tile server learns this site's address, never the page's (a case's address).
        referrerPolicy: "strict-origin-when-cross-origin",
      }).addTo(map);
    }
    var places = points.map(function (point) {
      var where = window.L.latLng(point.lat, point.lon);
      // Where pins overlap, the first results lie on top.
      var onTop = (points.length - point.number) * 1000;
      window.L.marker(where, { icon: pin(point), keyboard: false, zIndexOffset: onTop }).addTo(map);
      return where;
    });
    map.fitBounds(window.L.latLngBounds(places), { padding: [30, 30], maxZoom: 14 });
  }

  document.querySelectorAll("[data-results-map]").forEach(draw);
})();
