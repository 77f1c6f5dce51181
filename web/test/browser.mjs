// Browser test of the WebAssembly verifier: headless Chromium (Debian's /usr/bin/chromium)
// driven by playwright-core loads the page (target/web, built by web/build.sh) from a
// localhost server and, for each bundle directory given (proof.json, vk.bin, params.bin from
// `zkinfer prove` + `zkinfer export-web`), checks that
//   - the honest proof is accepted, with the proof's identity and its output's argmax,
//   - a proof with a changed output value, and one with changed proof bytes, are rejected
//     with the verifier's reason,
//   - a wrong expected identity is rejected (model identity mismatch),
//   - a KZG key on the insecure test SRS is rejected unless allowed,
//   - hostile files (truncated, flipped or swapped keys, proofs and parameters) are rejected
//     with an error message and never trap the module;
// then times the honest verification (median of 3 cold calls, after other parameters, and of
// 5 repeated ones) and, for IPA, with the parameters generated in the page. Screenshots and report.json go to OUT.
//   node web/test/browser.mjs OUT DIR...
import { chromium } from "playwright-core";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serve } from "../serve.mjs";

const [out, ...dirs] = process.argv.slice(2);
if (!out || dirs.length === 0) {
  console.error("usage: node web/test/browser.mjs OUT DIR...");
  process.exit(2);
}
await mkdir(out, { recursive: true });

let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok ? "" : `: ${JSON.stringify(detail)}`}`);
  if (!ok) failures++;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const argmax = (xs) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);

const server = await serve("target/web");
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"],
});
const report = { wasm_bytes: null, bundles: {} };
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on("pageerror", (e) => check(false, "no page error", String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.zkinferVerifier !== undefined, null, { timeout: 60000 });
  report.wasm_bytes = await page.evaluate(() => window.zkinferVerifier.wasmBytes);

  // Through the page's form, as a user does it.
  async function viaForm(files, { expected = "", insecure = false } = {}) {
    await page.setInputFiles("#proof", files.proof);
    await page.setInputFiles("#vk", files.vk);
    await page.setInputFiles("#params", files.params ?? []);
    await page.fill("#expected", expected);
    await page.setChecked("#insecure", insecure);
    await page.evaluate(() => delete document.body.dataset.lastVerdict);
    await page.click("#verify");
    await page.waitForFunction(() => document.body.dataset.lastVerdict !== undefined, null, { timeout: 300000 });
    const verdict = JSON.parse(await page.evaluate(() => document.body.dataset.lastVerdict));
    verdict.shown = { state: await page.getAttribute("#verdict", "data-state"), reason: await page.textContent("#reason") };
    return verdict;
  }
  const file = (name, bytes, mimeType = "application/octet-stream") => ({ name, mimeType, buffer: Buffer.from(bytes) });
  // Straight through the module (for timing and for many hostile inputs).
  const b64 = (buf) => (buf ? Buffer.from(buf).toString("base64") : "");
  const direct = (args) => page.evaluate(async (a) => {
    const u8 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    return window.zkinferVerifier.verify({ ...a, proof: u8(a.proof), vk: u8(a.vk), params: u8(a.params) });
  }, { ...args, proof: b64(args.proof), vk: b64(args.vk), params: b64(args.params) });

  for (const dir of dirs) {
    const proofText = await readFile(join(dir, "proof.json"), "utf8");
    const proof = JSON.parse(proofText);
    const vk = await readFile(join(dir, "vk.bin"));
    const params = await readFile(join(dir, "params.bin"));
    const kzg = proof.backend === "kzg";
    // The identity recomputed natively from the key (zkinfer export-web --json).
    const identity = JSON.parse(await readFile(join(dir, "export.json"), "utf8")).identity;
    const name = `${proof.backend} (${dir})`;
    const files = { proof: file("proof.json", proofText, "application/json"), vk: file("vk.bin", vk), params: file("params.bin", params) };

    const honest = await viaForm(files, { insecure: kzg, expected: identity });
    check(honest.verified === true && honest.shown.state === "accepted", `${name}: honest proof accepted`, honest);
    check(honest.identity === identity && honest.identity_checked === true, `${name}: identity shown and checked`, honest);
    check(honest.predicted_class === argmax(proof.output.values), `${name}: predicted class = argmax of the output`, honest.predicted_class);
    await page.screenshot({ path: join(out, `verified-${proof.backend}.png`), fullPage: true });

    const changedOutput = structuredClone(proof);
    changedOutput.output.values[0] += 1;
    const r1 = await viaForm({ ...files, proof: file("proof.json", JSON.stringify(changedOutput)) }, { insecure: kzg });
    check(r1.verified === false && r1.shown.state === "rejected" && /proof rejected/.test(r1.error), `${name}: changed output rejected`, r1);
    await page.screenshot({ path: join(out, `rejected-${proof.backend}.png`), fullPage: true });

    const changedBytes = structuredClone(proof);
    const at = Math.floor(proof.proof.length / 2);
    changedBytes.proof = proof.proof.slice(0, at) + (proof.proof[at] === "0" ? "1" : "0") + proof.proof.slice(at + 1);
    const r2 = await viaForm({ ...files, proof: file("proof.json", JSON.stringify(changedBytes)) }, { insecure: kzg });
    check(r2.verified === false && r2.error.length > 0 && !r2.trapped, `${name}: changed proof bytes rejected`, r2);

    const r3 = await viaForm(files, { insecure: kzg, expected: "00".repeat(32) });
    check(r3.verified === false && /model identity mismatch/.test(r3.error), `${name}: wrong identity rejected`, r3);

    if (kzg) {
      const r4 = await viaForm(files, { insecure: false });
      check(r4.verified === false && /INSECURE/.test(r4.error), `${name}: insecure SRS refused unless allowed`, r4);
    }

    const flip = (buf, i) => { const b = Buffer.from(buf); b[i] ^= 0x55; return b; };
    const hostile = {
      "truncated key": { vk: vk.subarray(0, vk.length - 40) },
      "key cut after its header": { vk: vk.subarray(0, 12 + vk.readUInt32LE(8) + 6) },
      "flipped key byte": { vk: flip(vk, vk.length - 100) },
      "flipped key header byte": { vk: flip(vk, 20) },
      "truncated parameters": { params: params.subarray(0, params.length - 1) },
      "flipped parameter byte": { params: flip(params, 4) },
      "parameters of the other size": { params: Buffer.concat([Buffer.from([proof.k + 1, 0, 0, 0]), params.subarray(4)]) },
      "empty key": { vk: Buffer.alloc(0) },
      "proof bytes cut short": { proof: Buffer.from(JSON.stringify({ ...proof, proof: proof.proof.slice(0, 200) })) },
      "proof with trailing bytes": { proof: Buffer.from(JSON.stringify({ ...proof, proof: proof.proof + "00" })) },
      "key with a trailing byte": { vk: Buffer.concat([vk, Buffer.from([0])]) },
      "proof not hex": { proof: Buffer.from(JSON.stringify({ ...proof, proof: "zz" + proof.proof.slice(2) })) },
    };
    for (const [what, change] of Object.entries(hostile)) {
      const v = await direct({ proof: Buffer.from(proofText), vk, params, allowInsecureSrs: true, ...change });
      check(v.verified === false && typeof v.error === "string" && v.error.length > 0 && !v.trapped, `${name}: ${what} rejected without a trap (${v.error})`, v);
    }

    // Cold: the module has just parsed other parameters (IPA keeps the last file's, by hash).
    const other = { proof: Buffer.from(proofText), vk, params: flip(params, 4), allowInsecureSrs: kzg };
    const honestArgs = { proof: Buffer.from(proofText), vk, params, allowInsecureSrs: kzg };
    const cold = [];
    const warm = [];
    for (let i = 0; i < 3; i++) {
      await direct(other);
      const v = await direct(honestArgs);
      check(v.verified === true, `${name}: cold timing run ${i} accepted`, v);
      cold.push(v.ms);
    }
    for (let i = 0; i < 5; i++) {
      const v = await direct(honestArgs);
      check(v.verified === true, `${name}: warm timing run ${i} accepted`, v);
      warm.push(v.ms);
    }
    const entry = {
      k: proof.k, proof_hex_chars: proof.proof.length, params_bytes: params.length, vk_bytes: vk.length,
      verify_ms_median: median(cold), verify_ms: cold, repeat_verify_ms_median: median(warm), repeat_verify_ms: warm,
    };
    if (!kzg) {
      const g = await viaForm({ ...files, params: undefined }, { expected: identity });
      check(g.verified === true && g.params.source === "generated", `${name}: accepted with parameters generated in the page`, g);
      entry.generate_params_and_verify_ms = g.ms;
      const again = await direct({ proof: Buffer.from(proofText), vk });
      check(again.verified === true, `${name}: accepted again with the generated parameters kept`, again);
      entry.verify_with_generated_params_kept_ms = again.ms;
    }
    try {
      const native = (await readFile(join(dir, "native_verify_s.txt"), "utf8")).trim().split(/\s+/).map((x) => 1000 * Number(x));
      entry.native_verify_ms_median = median(native);
      entry.native_verify_ms = native;
    } catch {
      // No native timings for this bundle.
    }
    report.bundles[proof.backend] = entry;
  }
  await page.screenshot({ path: join(out, "last.png"), fullPage: true });
} finally {
  await browser.close();
  server.close();
}
await writeFile(join(out, "report.json"), JSON.stringify(report, null, 2));
console.log(JSON.stringify(report, null, 2));
if (failures) {
  console.error(`${failures} browser check(s) failed`);
  process.exit(1);
}
console.log("browser verifier: all checks passed");
