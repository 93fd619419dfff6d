/* The scan pages (desk, stock-take): one field that a USB scanner types into.
   A file, not inline, so the pages' Content-Security-Policy needs no 'unsafe-inline'. */

/* A scanner types into whatever has the focus: when nothing does, the scan field. */
document.addEventListener("keydown", function () {
  var field = document.getElementById("code");
  if (field && document.activeElement === document.body) field.focus();
});

/* A short beep per outcome: high for green, middle for amber, low for red. */
(function () {
  var last = document.querySelector(".messages .flash:last-child");
  var tone = last && {ok: 880, warning: 520, error: 220}[last.classList[1]];
  var Audio = window.AudioContext || window.webkitAudioContext;
  if (!tone || !Audio) return;
  try {
    var ctx = new Audio(), osc = ctx.createOscillator();
    osc.frequency.value = tone;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.15);
  } catch (e) {}
})();
