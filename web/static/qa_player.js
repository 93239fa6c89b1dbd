// The scoring page's player: play/pause, a seek bar and a time read-out, ±5 s, speed.
// The audio is the call log's recording route (Range requests, audited once per listening).
(function () {
  const audio = document.getElementById("qa-audio");
  if (!audio) return;
  const play = document.getElementById("qa-play");
  const seek = document.getElementById("qa-seek");
  const time = document.getElementById("qa-time");
  const speed = document.getElementById("qa-speed");
  const fmt = (s) => {
    if (!isFinite(s)) s = 0;
    const m = Math.floor(s / 60);
    return m + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  };
  const show = () => {
    seek.max = isFinite(audio.duration) ? audio.duration : 0;
    seek.value = audio.currentTime;
    time.textContent = fmt(audio.currentTime) + " / " + fmt(audio.duration);
  };
  play.addEventListener("click", () => (audio.paused ? audio.play() : audio.pause()));
  audio.addEventListener("play", () => (play.textContent = "Pause"));
  audio.addEventListener("pause", () => (play.textContent = "Play"));
  audio.addEventListener("loadedmetadata", show);
  audio.addEventListener("timeupdate", show);
  seek.addEventListener("input", () => { audio.currentTime = Number(seek.value); show(); });
  document.getElementById("qa-back").addEventListener("click", () => { audio.currentTime = Math.max(0, audio.currentTime - 5); });
  document.getElementById("qa-fwd").addEventListener("click", () => { audio.currentTime = Math.min(audio.duration || 0, audio.currentTime + 5); });
  speed.addEventListener("change", () => { audio.playbackRate = Number(speed.value); });
})();
