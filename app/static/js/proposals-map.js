/* Maps for proposals, as an enhancement: the list and the coordinate fields work without it. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  var LILLE = [50.6292, 3.0573];

  function makeMap(element) {
    var map = L.map(element, { scrollWheelZoom: false }).setView(LILLE, 13);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: element.getAttribute("data-attribution") || "" }).addTo(map);
    }
    L.Icon.Default.prototype.options.iconUrl = element.getAttribute("data-marker-icon");
    L.Icon.Default.prototype.options.iconRetinaUrl = element.getAttribute("data-marker-icon2x");
    L.Icon.Default.prototype.options.shadowUrl = element.getAttribute("data-marker-shadow");
    L.Icon.Default.imagePath = "";
    return map;
  }

  var overview = document.getElementById("proposal-map");
  if (overview) {
    var map = makeMap(overview);
    var bounds = [];
    document.querySelectorAll(".located-list li[data-lat]").forEach(function (item) {
      var lat = parseFloat(item.getAttribute("data-lat").replace(",", "."));
      var lng = parseFloat(item.getAttribute("data-lng").replace(",", "."));
      if (isNaN(lat) || isNaN(lng)) { return; }
      var link = item.querySelector("a");
      var popup = document.createElement("a");
      popup.href = link.href;
      popup.textContent = link.textContent;
      L.marker([lat, lng], { title: link.textContent, alt: link.textContent }).addTo(map).bindPopup(popup);
      bounds.push([lat, lng]);
    });
    if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 }); }
  }

  var picker = document.getElementById("location-picker");
  if (picker) {
    picker.hidden = false;
    document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
    var latInput = document.getElementById("latitude");
    var lngInput = document.getElementById("longitude");
    var pickMap = makeMap(picker);
    var marker = null;
    function place(lat, lng, fromClick) {
      if (marker) { marker.setLatLng([lat, lng]); } else { marker = L.marker([lat, lng]).addTo(pickMap); }
      if (fromClick) {
        latInput.value = lat.toFixed(6);
        lngInput.value = lng.toFixed(6);
      }
    }
    var startLat = parseFloat((latInput.value || "").replace(",", "."));
    var startLng = parseFloat((lngInput.value || "").replace(",", "."));
    if (!isNaN(startLat) && !isNaN(startLng)) { place(startLat, startLng, false); pickMap.setView([startLat, startLng], 16); }
    pickMap.on("click", function (event) { place(event.latlng.lat, event.latlng.lng, true); });
    [latInput, lngInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var lat = parseFloat(latInput.value.replace(",", "."));
        var lng = parseFloat(lngInput.value.replace(",", "."));
        if (!isNaN(lat) && !isNaN(lng)) { place(lat, lng, false); pickMap.panTo([lat, lng]); }
      });
    });
  }
})();
