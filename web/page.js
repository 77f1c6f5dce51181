// The page: collects the files, calls the verifier, shows the verdict.

const $ = (id) => document.getElementById(id);
const picked = { proof: null, vk: null, params: null };
let verifier = null;

const bytesOf = async (file) => (file ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array());

// A dropped file goes to the slot its contents say: a verifying key starts with ZKINFVK1, a
// proof is JSON, anything else is parameters.
async function place(file) {
  const head = new TextDecoder().decode((await bytesOf(file)).slice(0, 8));
  const slot = head === "ZKINFVK1" ? "vk" : head.trimStart().startsWith("{") ? "proof" : "params";
  picked[slot] = file;
  const dt = new DataTransfer();
  dt.items.add(file);
  $(slot).files = dt.files;
}

for (const slot of Object.keys(picked)) {
  $(slot).addEventListener("change", () => { picked[slot] = $(slot).files[0] || null; });
}
$("drop").addEventListener("dragover", (e) => { e.preventDefault(); $("drop").classList.add("over"); });
$("drop").addEventListener("dragleave", () => $("drop").classList.remove("over"));
$("drop").addEventListener("drop", async (e) => {
  e.preventDefault();
  $("drop").classList.remove("over");
  for (const f of e.dataTransfer.files) await place(f);
});

function show(v) {
  const ok = v.verified === true;
  $("verdict").hidden = false;
  $("verdict").dataset.state = ok ? "accepted" : "rejected";
  $("headline").textContent = ok ? "Verified: the proof is valid" : "Rejected";
  $("reason").textContent = ok
    ? "the proof checks against the verifying key" + ($("expected").value.trim() ? " and the expected identity" : "")
      + (v.srs && v.srs.source === "insecure-fixed-seed" ? " (but on the INSECURE test SRS: anyone can forge such proofs)" : "")
      + (v.identity_checked ? "" : "; without an expected identity this shows only that the proof fits the key it came with")
    : v.error;
  $("identity").textContent = ok ? v.identity : (v.claimed_model_hash ? `not established (the proof file claims model hash ${v.claimed_model_hash})` : "not established");
  const out = ok && v.output.values.length ? v.output_values.map((x) => x.toFixed(4)).join(", ") : ok ? (v.output_hash ? `hashed: ${v.output_hash}` : "private") : "";
  $("output").textContent = out;
  const classes = ok && Array.isArray(v.predicted_classes) ? v.predicted_classes : [];
  $("class").textContent = classes.length > 1 ? classes.join(", ") : ok && v.predicted_class !== null ? String(v.predicted_class) : "";
  $("backend").textContent = ok ? `${v.backend}, k = ${v.k}` + (v.srs ? `, SRS ${v.srs.source}` : "") : "";
  $("paramsinfo").textContent = ok
    ? (v.params.source === "generated"
      ? `generated in this page for k = ${v.params.k}`
      : `from the file (sha256 ${v.params.sha256})` + (v.backend === "ipa" ? "; leave it out to generate them here instead of trusting the file" : ""))
    : "";
  $("time").textContent = `${v.ms.toFixed(0)} ms`;
  document.body.dataset.lastVerdict = JSON.stringify(v);
}

$("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!picked.proof || !picked.vk) {
    show({ verified: false, error: "pick proof.json and vk.bin first", ms: 0 });
    return;
  }
  $("verify").disabled = true;
  $("verify").textContent = "verifying…";
  const v = await verifier.verify({
    proof: await bytesOf(picked.proof),
    vk: await bytesOf(picked.vk),
    params: await bytesOf(picked.params),
    expected: $("expected").value,
    allowInsecureSrs: $("insecure").checked,
  });
  show(v);
  $("verify").disabled = false;
  $("verify").textContent = "verify";
});

// The verifier lives in a worker; `verify(args)` resolves to its verdict.
function startWorker() {
  const worker = new Worker("worker.js", { type: "module" });
  const pending = new Map();
  let next = 0;
  return new Promise((ready, fail) => {
    worker.onmessage = (e) => {
      if (e.data.ready) {
        ready({
          wasmBytes: e.data.wasmBytes,
          verify: (args) => new Promise((ok) => { const id = next++; pending.set(id, ok); worker.postMessage({ id, args }); }),
        });
      } else if (e.data.error) {
        fail(e.data.error);
      } else {
        pending.get(e.data.id)(e.data.verdict);
        pending.delete(e.data.id);
      }
    };
  });
}

startWorker().then((v) => {
  verifier = v;
  window.zkinferVerifier = v;
  $("verify").disabled = false;
  $("verify").textContent = "verify";
}, (err) => {
  $("verify").textContent = `cannot load the verifier: ${err}`;
});
