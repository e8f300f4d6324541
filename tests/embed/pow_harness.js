// Run by test_pow_js.py: node pow_harness.js path/to/pow.js — prints JSON.
globalThis.window = globalThis;
globalThis.document = { querySelectorAll: () => [] };
require(process.argv[2]);
const crypto = require("crypto");
(async () => {
  const out = [];
  for (let len = 1; len < 140; len++) {
    const salt = Array.from({ length: len }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join("");
    const n = (len * 37) % 2000;
    const challenge = crypto.createHash("sha256").update(salt + n).digest("hex");
    const p = await window.meydanPow.solve({ algorithm: "SHA-256", challenge, maxnumber: 2000, salt, signature: "s" });
    out.push([n, p && JSON.parse(Buffer.from(p, "base64")).number]);
  }
  const none = await window.meydanPow.solve({ algorithm: "SHA-256", challenge: "0".repeat(64), maxnumber: 50, salt: "x", signature: "s" });
  console.log(JSON.stringify({ out, none }));
})();
