// "Connecting to <provider>…": go on to the provider without a click. The page
// shows the message first, and keeps a Continue button for when scripts are off.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("meydan-connect");
  if (form) window.setTimeout(function () { form.submit(); }, 300);
});
