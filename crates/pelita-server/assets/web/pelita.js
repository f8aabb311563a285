// Pelita's own script for the web interface (the pages work without it):
// shows how much of an upload has been sent while a package is submitted.
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = document.getElementById("upload-progress");
  if (!bar || !event.detail || !event.detail.lengthComputable) {
    return;
  }
  bar.hidden = false;
  bar.max = event.detail.total;
  bar.value = event.detail.loaded;
  var label = document.getElementById("upload-progress-label");
  if (label) {
    label.hidden = false;
    label.textContent = Math.round((100 * event.detail.loaded) / event.detail.total) + " % sent";
  }
});
