// Runs the verifier off the page's thread (parameter generation can take seconds): messages
// {id, args} in, {id, verdict} out; the first message out is {ready, wasmBytes} or {error}.
import { loadVerifier } from "./verifier.js";

loadVerifier().then((v) => {
  self.onmessage = async (e) => self.postMessage({ id: e.data.id, verdict: await v.verify(e.data.args) });
  self.postMessage({ ready: true, wasmBytes: v.wasmBytes });
}, (err) => self.postMessage({ error: String(err) }));
