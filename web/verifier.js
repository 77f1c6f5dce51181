// The browser side of the zkinfer verifier: loads zkinfer_verifier.wasm (verifier/wasm) and
// checks one bundle. The module has no imports; its interface (verifier/wasm/src/exports.rs):
//   input(slot, len) -> address of a len-byte buffer for slot 0 proof.json, 1 vk.bin,
//                       2 params.bin (empty for IPA: generated in the module), 3 expected identity
//   verify(flags) -> length of the verdict (JSON) at output_ptr(); flags bit 0: allow the
//                    insecure KZG test SRS
// The Rust side is written not to panic on hostile bytes; if the module traps anyway, the
// verdict says so (rejected) and the next call gets a fresh instance.

const SLOT = { proof: 0, vk: 1, params: 2, expected: 3 };

export async function loadVerifier(url = "zkinfer_verifier.wasm") {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  const wasm = await response.arrayBuffer();
  const module = await WebAssembly.compile(wasm);
  let instance = await WebAssembly.instantiate(module, {});

  function put(slot, bytes) {
    const ptr = instance.exports.input(slot, bytes.length);
    new Uint8Array(instance.exports.memory.buffer, ptr, bytes.length).set(bytes);
  }

  // Verify the files (Uint8Arrays; params and expected may be empty); returns the verdict with
  // `ms`, the time of the call (parsing the files, parameters and the proof check).
  async function verify({ proof, vk, params = new Uint8Array(), expected = "", allowInsecureSrs = false }) {
    const t0 = performance.now();
    try {
      put(SLOT.proof, proof);
      put(SLOT.vk, vk);
      put(SLOT.params, params);
      put(SLOT.expected, new TextEncoder().encode(expected));
      const len = instance.exports.verify(allowInsecureSrs ? 1 : 0);
      const out = new Uint8Array(instance.exports.memory.buffer, instance.exports.output_ptr(), len);
      const verdict = JSON.parse(new TextDecoder().decode(out));
      verdict.ms = performance.now() - t0;
      return verdict;
    } catch (e) {
      instance = await WebAssembly.instantiate(module, {});
      return { verified: false, trapped: true, error: `the verifier module stopped (${e}); rejected`, ms: performance.now() - t0 };
    }
  }

  return { verify, wasmBytes: wasm.byteLength };
}
