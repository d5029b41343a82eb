// backstretch live coach: camera -> pose -> server (over a WebSocket) -> coaching state -> page.
// The server says where the pose model runs ("hello"): in this browser (MediaPipe's pose
// landmarker from /vendor; only the body points are sent, the picture stays here), or on
// the server (a JPEG of each frame is sent). At most one frame is in flight: while the
// server works, new camera frames are skipped, and the newest one goes out as soon as the
// answer arrives.
"use strict";

const $ = (id) => document.getElementById(id);
const app = {
  ws: null, inFlight: false, started: false, ended: false, muted: false, lastCueId: 0,
  exercise: null, summary: null, serverSession: false, lastState: null,
  demo: false, // coaching the built-in sample: the server keeps no session of it
  newFrame: false, // the camera has a frame not yet sent
  feedbackMs: [], // capture-to-feedback time of the last answers (see window.backstretchStats)
  pose: null, // "browser" or "server", from the server's hello
  landmarker: null, // the in-browser pose model, once loaded
  offered: 0, // camera frames shown so far (frames analysed / offered: window.backstretchStats)
  poseMs: [], // in-browser pose time per frame
};
const grab = document.createElement("canvas");
const FRAME_HEIGHT = 480;
const POLL_MS = 33; // where requestVideoFrameCallback is missing

async function init() {
  setupTabs();
  setupUpload();
  const res = await fetch("/api/exercise");
  const ex = await res.json();
  app.exercise = ex;
  $("exercise-name").textContent = ex.name;
  $("advice").textContent = ex.camera_advice;
  $("warm-up").textContent = ex.warm_up;
  $("pain-safety").textContent = ex.safety;
  $("reps").textContent = `0 / ${ex.targets.reps_max}`;
  $("hold").textContent = Math.ceil(ex.targets.hold_s);
  for (const area of ex.pain_areas) {
    const opt = document.createElement("option");
    opt.value = opt.textContent = area;
    $("pain-where").append(opt);
  }
  $("start").addEventListener("click", start);
  $("finish").addEventListener("click", () => send({ type: "stop", reason: "done" }));
  $("stop").addEventListener("click", stopForPain);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("pain-dialog").open) { e.preventDefault(); stopForPain(); }
  });
  $("pain-rating").addEventListener("input", () => { $("pain-value").textContent = $("pain-rating").value; });
  $("pain-form").addEventListener("submit", submitPain);
  $("mute").addEventListener("click", toggleMute);
  $("demo").addEventListener("click", useSample);
  $("save").addEventListener("click", save);
  $("discard").addEventListener("click", discard);
  $("download").addEventListener("click", downloadSummary);
  await startCamera();
  connect();
  watchFrames();
}

function watchFrames() {
  const video = $("video");
  const fresh = () => { app.newFrame = true; sendFrame(); };
  if ("requestVideoFrameCallback" in video) {
    // presentedFrames also counts the frames shown while the page was busy (posing)
    const onFrame = (_now, meta) => {
      app.offered = meta.presentedFrames;
      fresh();
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    setInterval(fresh, POLL_MS);
  }
}

async function startCamera() {
  const video = $("video");
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false,
    });
    video.srcObject = stream;
    await video.play();
    $("camera-msg").hidden = true;
  } catch (err) {
    $("camera-msg").textContent =
      `No camera (${err.message || err.name}). You can still analyse a recorded video in the other tab.`;
  }
}

function useSample() {
  // The built-in sample clip plays as the "camera": the same frames-to-coach path as a webcam.
  const video = $("video");
  if (video.srcObject) video.srcObject.getTracks().forEach((t) => t.stop());
  video.srcObject = null;
  video.src = "/sample.mp4";
  video.loop = true;
  video.muted = true;
  video.play();
  app.demo = true;
  $("camera-msg").hidden = true;
  $("demo").hidden = true;
  ensureConnected();
}

function ensureConnected() {
  // The server lets a quiet connection go (no camera, nothing sent): come back on demand.
  if (!app.ws || app.ws.readyState === WebSocket.CLOSED || app.ws.readyState === WebSocket.CLOSING) {
    connect();
  }
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/live`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => { $("start").disabled = false; $("conn-msg").hidden = true; };
  ws.onmessage = (ev) => handle(JSON.parse(ev.data));
  ws.onclose = () => {
    app.inFlight = false;
    if (app.refused) {  // full or busy: say so (the close must not hide it), and offer a retry
      showConnection(`${app.refused} (Start tries again).`);
      app.refused = null;
      return;
    }
    if (app.idle) {
      showConnection("The coach let go after a quiet spell; it reconnects when you press Start or try the demo.");
      return;
    }
    $("start").disabled = true;
    showConnection("Disconnected from the coach. Reload the page to reconnect.");
  };
  app.idle = false;
  app.ws = ws;
}

function showConnection(text) {
  $("conn-msg").textContent = text;
  $("conn-msg").hidden = false;
}

function send(msg) {
  if (app.ws && app.ws.readyState === WebSocket.OPEN) app.ws.send(JSON.stringify(msg));
}

async function loadBrowserPose() {
  // MediaPipe's pose landmarker, the same BlazePose full model as the server, on the CPU
  showPoseMode("Loading the pose model into this browser...");
  try {
    const vision = await import("/vendor/tasks-vision/vision_bundle.mjs");
    const files = await vision.FilesetResolver.forVisionTasks("/vendor/tasks-vision/wasm");
    app.landmarker = await vision.PoseLandmarker.createFromOptions(files, {
      baseOptions: { modelAssetPath: "/vendor/pose_landmarker_full.task", delegate: "CPU" },
      runningMode: "VIDEO", numPoses: 1,
    });
    showPoseMode("Your camera picture stays on this device: the pose model runs in this " +
      "browser, and only the positions of 33 body points go to the coach.");
  } catch (err) {
    showPoseMode(`This browser could not run the pose model (${err.message || err}). ` +
      "Ask for a coach started with --pose server, or analyse a recorded video in the other tab.");
    console.error(err);
  }
}

function showPoseMode(text) {
  $("pose-mode").textContent = text;
  $("pose-mode").hidden = false;
}

function sendFrame() {
  const video = $("video");
  if (!app.ws || app.ws.readyState !== WebSocket.OPEN || app.inFlight || app.ended) return;
  if (!app.newFrame || video.readyState < 2 || !video.videoWidth) return;
  if (app.pose === "browser") { sendLandmarks(video); return; }
  if (app.pose !== "server") return;
  app.newFrame = false;
  const h = Math.min(FRAME_HEIGHT, video.videoHeight);
  const w = Math.round((video.videoWidth * h) / video.videoHeight);
  grab.width = w;
  grab.height = h;
  grab.getContext("2d").drawImage(video, 0, 0, w, h);
  const t = performance.now() / 1000;
  app.inFlight = true;
  grab.toBlob(async (blob) => {
    if (!blob || !app.ws || app.ws.readyState !== WebSocket.OPEN) { app.inFlight = false; return; }
    const jpeg = new Uint8Array(await blob.arrayBuffer());
    const msg = new Uint8Array(8 + jpeg.length);
    new DataView(msg.buffer).setFloat64(0, t, true);
    msg.set(jpeg, 8);
    app.ws.send(msg);
  }, "image/jpeg", 0.75);
}

function sendLandmarks(video) {
  if (!app.landmarker) return;
  app.newFrame = false;
  const t = performance.now() / 1000;
  const res = app.landmarker.detectForVideo(video, t * 1000);
  app.poseMs.push(performance.now() - t * 1000);
  if (app.poseMs.length > 3000) app.poseMs.shift();
  const pts = res.landmarks && res.landmarks[0];
  const world = res.worldLandmarks && res.worldLandmarks[0];
  const msg = { type: "landmarks", t, width: video.videoWidth, height: video.videoHeight };
  if (pts) {
    msg.image = pts.map((p) => [p.x, p.y, p.z]);
    msg.visibility = pts.map((p) => p.visibility ?? 0);
    if (world) msg.world = world.map((p) => [p.x, p.y, p.z]);
  }
  app.inFlight = true;
  send(msg);
}

function handle(msg) {
  if (msg.type === "hello") {
    app.pose = msg.pose || "server";
    if (app.pose === "browser" && !app.landmarker) loadBrowserPose();
    else if (app.pose === "server") {
      showPoseMode(`Pictures from your camera go to the coach at ${location.host}, which ` +
        "finds the body points in them; they are used at once and never stored.");
    }
  }
  else if (msg.type === "state") {
    app.inFlight = false;
    app.feedbackMs.push(performance.now() - msg.t * 1000);
    if (app.feedbackMs.length > 3000) app.feedbackMs.shift();
    render(msg);
    sendFrame();
  }
  else if (msg.type === "started") { app.started = true; showAdvice(msg); }
  else if (msg.type === "saved") { $("save-status").textContent = "Saved to your history."; }
  else if (msg.type === "discarded") {
    $("save-status").textContent = "Discarded: this session is not in your history.";
    app.summary = null;
    $("summary").hidden = true;
  }
  else if (msg.type === "summary") { showSummary(msg); }
  else if (msg.type === "error") {
    app.inFlight = false;
    if (msg.code === "busy" || msg.code === "full") {
      app.refused = msg.message.charAt(0).toUpperCase() + msg.message.slice(1);
      showConnection(app.refused);
    }
    else if (msg.code === "idle") app.idle = true;
    else { console.warn("coach:", msg.message); sendFrame(); }
  }
}

function render(s) {
  app.lastState = s;
  const phase = $("phase");
  phase.dataset.phase = s.phase;
  phase.textContent = s.step;
  const hold = $("hold");
  hold.textContent = Math.ceil(s.hold_left_s);
  hold.dataset.held = s.hold_s.toFixed(1);
  $("hold-box").classList.toggle("running", s.holding);
  $("hold-paused").textContent = s.paused_reason ? `Paused: ${s.paused_reason}` : "";
  $("reps").textContent = `${s.rep_count} / ${s.reps_target}`;
  renderBreath(s.breath);
  if (s.cue && s.cue.id !== app.lastCueId) {
    app.lastCueId = s.cue.id;
    const cue = $("cue");
    cue.textContent = s.cue.text;
    cue.className = `cue ${s.cue.kind}`;
    speak(s.cue.text);
  }
  fillList($("framing"), s.framing);
  $("view").textContent = s.view ? `Camera view: ${s.view}` : "";
  fillList($("unavailable"), s.checks_unavailable.map((c) => `Not checked: ${c}`));
  drawSkeleton(s);
}

function renderBreath(b) {
  const box = $("breath");
  box.hidden = !b;
  if (!b) return;
  const scale = b.phase === "in" ? 0.6 + 0.4 * b.progress : 1.0 - 0.4 * b.progress;
  $("breath-circle").style.transform = `scale(${scale.toFixed(3)})`;
  $("breath-label").textContent = b.phase === "in" ? "Breathe in" : "Breathe out";
}

function fillList(ul, items) {
  const text = items.join("\n");
  if (ul.dataset.text === text) return;
  ul.dataset.text = text;
  ul.replaceChildren(...items.map((it) => { const li = document.createElement("li"); li.textContent = it; return li; }));
}

function drawSkeleton(s) {
  const video = $("video");
  const canvas = $("overlay");
  canvas.width = video.videoWidth || 640;
  canvas.height = video.videoHeight || 480;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!s.landmarks) return;
  const pts = s.landmarks.map(([x, y, v]) => [x * canvas.width, y * canvas.height, v]);
  ctx.lineWidth = Math.max(3, canvas.height / 160);
  ctx.strokeStyle = s.holding ? "#2e9e4f" : s.faults.length ? "#d98b00" : "#e8eef5";
  for (const [a, b] of app.exercise.skeleton) {
    if (pts[a][2] < 0.5 || pts[b][2] < 0.5) continue;
    ctx.beginPath();
    ctx.moveTo(pts[a][0], pts[a][1]);
    ctx.lineTo(pts[b][0], pts[b][1]);
    ctx.stroke();
  }
  ctx.fillStyle = "#fff";
  for (const [x, y, v] of pts) if (v >= 0.5) { ctx.beginPath(); ctx.arc(x, y, ctx.lineWidth, 0, 2 * Math.PI); ctx.fill(); }
}

function speak(text) {
  if (app.muted || !("speechSynthesis" in window)) return;
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
}

function toggleMute() {
  app.muted = !app.muted;
  $("mute").setAttribute("aria-pressed", String(app.muted));
  $("mute").textContent = app.muted ? "Voice: off" : "Voice: on";
  if (app.muted && "speechSynthesis" in window) window.speechSynthesis.cancel();
}

function start() {
  if (!app.ws || app.ws.readyState !== WebSocket.OPEN) {
    ensureConnected();
    app.ws.addEventListener("open", start, { once: true });
    return;
  }
  send({ type: "start", demo: app.demo });
  app.started = true;
  app.ended = false;
  app.serverSession = true;
  $("summary").hidden = true;
  $("start").hidden = true;
  $("finish").hidden = false;
}

function stopForPain() {
  if (app.started && !app.ended) send({ type: "stop", reason: "pain" });
  app.ended = true;
  speak(app.exercise ? app.exercise.safety : "");
  if (!$("pain-dialog").open) $("pain-dialog").showModal();
}

function submitPain(ev) {
  ev.preventDefault();
  const report = {
    type: "pain",
    rating: Number($("pain-rating").value),
    where: $("pain-where").value,
    note: $("pain-note").value,
  };
  $("pain-dialog").close();
  if (app.ws && app.ws.readyState === WebSocket.OPEN && app.serverSession) send(report);
  else showSummary({ reps: [], summary: null, pain: report, safety: app.exercise.safety, stopped: "pain" });
}

function showSummary(s) {
  app.summary = s;
  app.ended = true;
  app.started = false;
  $("start").hidden = false;
  $("start").textContent = "Start again";
  $("finish").hidden = true;
  const box = $("summary");
  box.hidden = false;
  const sum = s.summary;
  $("summary-note").textContent = sum ? sum.note : "";
  $("summary-score").textContent = sum ? sum.score : "-";
  $("summary-reps").textContent = sum ? sum.rep_count : 0;
  $("summary-completed").textContent = sum ? sum.completed_count : 0;
  const rows = (s.reps || []).map((r) => {
    const tr = document.createElement("tr");
    const faults = r.faults.map((f) => f.message).join(" ") || "none";
    for (const v of [r.index, `${r.hold_s.toFixed(1)} s`, `${r.position_s.toFixed(1)} s`, faults]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  });
  $("summary-rows").replaceChildren(...rows);
  const prev = s.previous;
  $("summary-previous").textContent = prev && sum
    ? `Last time (${prev.started_at.slice(0, 10)}): score ${prev.score ?? "-"}, ` +
      `${prev.completed_count} completed, best hold ${prev.best_hold_s.toFixed(1)} s. ` +
      `Today: score ${sum.score}, ${sum.completed_count} completed.`
    : "";
  $("save-status").textContent = s.session_id != null
    ? "This session is in your history; Discard removes it." : "";
  const pain = $("summary-pain");
  pain.hidden = !(s.pain || s.safety);
  pain.textContent = s.pain
    ? `Pain ${s.pain.rating}/10 (${s.pain.where}) recorded. ${s.safety || ""}`
    : s.safety || "";
  box.scrollIntoView({ behavior: "smooth" });
}

function showAdvice(msg) {
  const box = $("advice-box");
  const lines = [`Hold target today: ${Math.round(msg.hold_target_s)} s.`, ...msg.advice];
  box.textContent = lines.join(" ");
  box.hidden = !msg.advice.length;
  $("hold").textContent = Math.ceil(msg.hold_target_s);
  if (msg.advice.length) speak(msg.advice.join(" "));
}

function save() {
  if (app.summary && app.summary.session_id != null) send({ type: "save" });
  else downloadSummary();
}

function downloadSummary() {
  if (!app.summary) return;
  const blob = new Blob([JSON.stringify(app.summary, null, 2)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `backstretch-session-${new Date().toISOString().slice(0, 19).replace(/:/g, "-")}.json`;
  a.click();
  URL.revokeObjectURL(a.href);
}

function discard() {
  if (app.summary && app.summary.session_id != null) send({ type: "discard" });
  else { app.summary = null; $("summary").hidden = true; }
  app.serverSession = false;
  app.ended = false;
}

// -- tabs and upload -------------------------------------------------------------------
function setupTabs() {
  for (const btn of document.querySelectorAll("nav button[data-tab]")) {
    btn.addEventListener("click", () => {
      for (const other of document.querySelectorAll("nav button[data-tab]")) {
        const on = other === btn;
        other.setAttribute("aria-selected", String(on));
        $(`tab-${other.dataset.tab}`).hidden = !on;
      }
    });
  }
}

function setupUpload() {
  $("upload-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("upload-file").files[0];
    const status = $("upload-status");
    $("upload-report").hidden = true;
    $("upload-link").hidden = true;
    if (!file) { status.textContent = "Choose a video file first."; return; }
    const form = new FormData();
    form.append("file", file);
    status.textContent = `Uploading ${file.name}...`;
    const bar = $("upload-progress");
    bar.hidden = false;
    bar.value = 0;
    const res = await fetch("/api/uploads", { method: "POST", body: form });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { bar.hidden = true; status.textContent = `Not accepted: ${body.detail || res.statusText}`; return; }
    poll(body.id);
  });
}

async function poll(id) {
  const status = $("upload-status");
  const bar = $("upload-progress");
  const res = await fetch(`/api/uploads/${id}`);
  const job = await res.json();
  if (!res.ok) { status.textContent = job.detail || "The upload was lost."; bar.hidden = true; return; }
  bar.value = job.progress;
  if (job.status === "queued" || job.status === "running") {
    status.textContent = `Analysing ${job.filename}: ${Math.round(job.progress * 100)}%`;
    setTimeout(() => poll(id), 400);
  } else if (job.status === "failed") {
    bar.hidden = true;
    status.textContent = `The analysis failed: ${job.error}`;
  } else {
    bar.value = 1;
    const s = job.summary;
    status.textContent = `Done: ${s.rep_count} repetitions, ${s.completed_count} completed, score ${s.score}.`;
    $("upload-report").src = job.report_url;
    $("upload-report").hidden = false;
    $("upload-link").href = job.report_url;
    $("upload-link").hidden = false;
  }
}

// Latency as the page sees it, from camera grab to drawn feedback (for benchmarks/bench_live.py).
window.backstretchStats = () => {
  const ms = [...app.feedbackMs].sort((a, b) => a - b);
  const at = (q) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] : null);
  const pose = [...app.poseMs].sort((a, b) => a - b);
  const poseAt = (q) => (pose.length ? pose[Math.min(pose.length - 1, Math.floor(q * pose.length))] : null);
  return { frames: ms.length, p50: at(0.5), p95: at(0.95), offered: app.offered,
           pose: app.pose, poseReady: !!app.landmarker, poseP50: poseAt(0.5), poseP95: poseAt(0.95) };
};

init();
