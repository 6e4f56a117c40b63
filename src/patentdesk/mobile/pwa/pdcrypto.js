/* PatentDesk phone app: keys, JWS (ES256) and the detached CMS signature, with WebCrypto.
 *
 * The private keys are made here with `extractable: false`: the browser can sign with
 * them but no script (ours included) can read them out. They are kept as CryptoKey
 * objects in IndexedDB. What this file produces matches the command-line phone exactly:
 *  - JWS compact ES256 tokens (approvals, proofs of possession): WebCrypto's ECDSA
 *    signature is already the raw r||s that JWS wants (RFC 7518 §3.4);
 *  - a detached CMS SignedData (RFC 5652) with the same signed attributes as
 *    patentdesk.pki.cms (content-type, signing-time, message-digest and the ESS
 *    signing-certificate-v2), built here with a small DER writer.
 */
"use strict";

const PDCrypto = (() => {
  const subtle = self.crypto && self.crypto.subtle;
  const ALG = { name: "ECDSA", namedCurve: "P-256" };
  const SIG = { name: "ECDSA", hash: "SHA-256" };

  // ---------------------------------------------------------------- bytes

  const enc = new TextEncoder();
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const b64 = (bytes) => {
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const b64url = (bytes) => b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const unb64url = (text) => {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    const t = text.replace(/-/g, "+").replace(/_/g, "/");
    return unb64(t + "=".repeat((4 - (t.length % 4)) % 4));
  };
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (text) => {
    if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error("not hex");
    return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
  };
  const pemToDer = (pem) => unb64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));
  const derToPem = (der, label) =>
    `-----BEGIN ${label}-----\n${b64(der).match(/.{1,64}/g).join("\n")}\n-----END ${label}-----\n`;
  const sha256 = async (bytes) => new Uint8Array(await subtle.digest("SHA-256", bytes));

  // ---------------------------------------------------------------- DER

  function encodeLength(n) {
    if (n < 0x80) return Uint8Array.of(n);
    const bytes = [];
    while (n > 0) { bytes.unshift(n & 0xff); n = Math.floor(n / 256); }
    return Uint8Array.of(0x80 | bytes.length, ...bytes);
  }
  const tlv = (tag, ...content) => {
    const body = concat(...content);
    return concat(Uint8Array.of(tag), encodeLength(body.length), body);
  };
  const seq = (...items) => tlv(0x30, ...items);
  const set = (...items) => tlv(0x31, ...items);
  const octets = (bytes) => tlv(0x04, bytes);
  function integer(bytes) {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0 && bytes[i + 1] < 0x80) i++;
    let v = bytes.subarray(i);
    if (v[0] & 0x80) v = concat(Uint8Array.of(0), v);
    return tlv(0x02, v);
  }
  function oid(dotted) {
    const parts = dotted.split(".").map(Number);
    const out = [40 * parts[0] + parts[1]];
    for (const p of parts.slice(2)) {
      const chunk = [p & 0x7f];
      let v = Math.floor(p / 128);
      while (v > 0) { chunk.unshift((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
      out.push(...chunk);
    }
    return tlv(0x06, Uint8Array.from(out));
  }
  function utcTime(date) {
    const p = (n) => String(n).padStart(2, "0");
    const d = new Date(Math.floor(date.getTime() / 1000) * 1000);
    const y = d.getUTCFullYear();
    const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
    // RFC 5652 §11.3: UTCTime up to 2049, GeneralizedTime from 2050 on.
    return y < 2050 ? tlv(0x17, enc.encode(p(y % 100) + body)) : tlv(0x18, enc.encode(String(y) + body));
  }

  /** One TLV at `at`: {tag, start, header, end, content}. */
  function read(bytes, at = 0) {
    if (at + 2 > bytes.length) throw new Error("DER: truncated");
    const tag = bytes[at];
    let len = bytes[at + 1];
    let header = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new Error("DER: bad length");
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[at + 2 + i];
      header += n;
    }
    const end = at + header + len;
    if (end > bytes.length) throw new Error("DER: truncated");
    return { tag, start: at, header, end, content: bytes.subarray(at + header, end), raw: bytes.subarray(at, end) };
  }
  function children(node) {
    const out = [];
    for (let at = 0; at < node.content.length;) {
      const child = read(node.content, at);
      out.push(child);
      at = child.end;
    }
    return out;
  }
  function readTime(node) {
    const s = new TextDecoder().decode(node.content);
    const m = node.tag === 0x17
      ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s)
      : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (!m) throw new Error("DER: bad time");
    let y = Number(m[1]);
    if (node.tag === 0x17) y += y < 50 ? 2000 : 1900;
    return new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }

  /** The parts of an X.509 certificate this app needs. */
  function parseCertificate(der) {
    const cert = read(der);
    if (cert.end !== der.length) throw new Error("certificate: trailing data");
    const [tbs, , sigValue] = children(cert);
    const fields = children(tbs);
    const f = fields[0].tag === 0xa0 ? fields.slice(1) : fields;
    const [serial, , issuer, validity, subject, spki] = f;
    const [notBefore, notAfter] = children(validity).map(readTime);
    return {
      der, tbs: tbs.raw, serial: serial.raw, serialHex: hex(serial.content).replace(/^0+/, "").toUpperCase(),
      issuer: issuer.raw, subject: subject.raw, spki: spki.raw, notBefore, notAfter,
      signature: sigValue.content.subarray(1), // BIT STRING: skip the unused-bits octet
    };
  }

  // ---------------------------------------------------------------- ECDSA forms

  function rawToDer(raw) {
    return seq(integer(raw.subarray(0, 32)), integer(raw.subarray(32, 64)));
  }
  function derToRaw(der) {
    const [r, s] = children(read(der)).map((n) => {
      let v = n.content;
      while (v.length > 32 && v[0] === 0) v = v.subarray(1);
      if (v.length > 32) throw new Error("ECDSA: bad integer");
      return concat(new Uint8Array(32 - v.length), v);
    });
    return concat(r, s);
  }

  // ---------------------------------------------------------------- keys

  const generateKeyPair = () => subtle.generateKey(ALG, false, ["sign", "verify"]);
  const importPublic = (spki) => subtle.importKey("spki", spki, ALG, true, ["verify"]);
  const publicPem = async (publicKey) => derToPem(new Uint8Array(await subtle.exportKey("spki", publicKey)), "PUBLIC KEY");
  const signRaw = async (privateKey, bytes) => new Uint8Array(await subtle.sign(SIG, privateKey, bytes));

  /** Whether `child` (a parsed certificate) carries a valid signature of `issuerCert`'s key. */
  async function issuedBy(child, issuerCert, at = new Date()) {
    const key = await importPublic(issuerCert.spki);
    let raw;
    try { raw = derToRaw(child.signature); } catch (e) { return false; }
    const ok = await subtle.verify(SIG, key, raw, child.tbs);
    return ok && at >= child.notBefore && at <= child.notAfter;
  }

  // ---------------------------------------------------------------- JWS ES256

  /** JSON with sorted keys and no spaces, as the server writes it (canonical_json). */
  function canonical(value) {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
      return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
  }
  async function jwsSign(claims, privateKey, kid) {
    const header = kid ? { alg: "ES256", kid } : { alg: "ES256" };
    const input = `${b64url(enc.encode(canonical(header)))}.${b64url(enc.encode(canonical(claims)))}`;
    return `${input}.${b64url(await signRaw(privateKey, enc.encode(input)))}`;
  }
  /** The claims without checking anything: only to word a refusal (e.g. another environment). */
  function jwsPeek(token) {
    const parts = String(token).trim().split(".");
    if (parts.length !== 3) throw new Error("malformed");
    const header = JSON.parse(new TextDecoder().decode(unb64url(parts[0])));
    const claims = JSON.parse(new TextDecoder().decode(unb64url(parts[1])));
    if (!header || typeof header !== "object" || !claims || typeof claims !== "object") throw new Error("malformed");
    return { header, claims };
  }
  async function jwsVerify(token, publicKey) {
    const parts = String(token).trim().split(".");
    const { header, claims } = jwsPeek(token);
    if (header.alg !== "ES256" || "crit" in header) return null; // never the token's own choice
    const sig = unb64url(parts[2]);
    if (sig.length !== 64) return null;
    const ok = await subtle.verify(SIG, publicKey, sig, enc.encode(`${parts[0]}.${parts[1]}`));
    return ok ? claims : null;
  }

  // ---------------------------------------------------------------- CMS

  const OID = {
    signedData: "1.2.840.113549.1.7.2",
    data: "1.2.840.113549.1.7.1",
    sha256: "2.16.840.1.101.3.4.2.1",
    ecdsaSha256: "1.2.840.10045.4.3.2",
    contentType: "1.2.840.113549.1.9.3",
    messageDigest: "1.2.840.113549.1.9.4",
    signingTime: "1.2.840.113549.1.9.5",
    signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  };
  function compareBytes(a, b) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  }

  /** A detached CMS SignedData (DER) over content whose SHA-256 is `digest` (32 bytes). */
  async function signDigest(digest, certificatePem, privateKey, when = new Date()) {
    if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new Error("digest must be 32 bytes");
    const cert = parseCertificate(pemToDer(certificatePem));
    const sha256Alg = seq(oid(OID.sha256));
    const ess = seq(seq(seq(
      sha256Alg,
      octets(await sha256(cert.der)),
      seq(seq(tlv(0xa4, cert.issuer)), cert.serial),
    )));
    const attrs = [
      seq(oid(OID.contentType), set(oid(OID.data))),
      seq(oid(OID.signingTime), set(utcTime(when))),
      seq(oid(OID.messageDigest), set(octets(digest))),
      seq(oid(OID.signingCertificateV2), set(ess)),
    ].sort(compareBytes); // DER: SET OF members in order of their encodings
    const signedAttrs = set(...attrs); // what is signed (RFC 5652 §5.4)
    const signature = rawToDer(await signRaw(privateKey, signedAttrs));
    const signerInfo = seq(
      integer(Uint8Array.of(1)),
      seq(cert.issuer, cert.serial),
      sha256Alg,
      tlv(0xa0, ...attrs),
      seq(oid(OID.ecdsaSha256)),
      octets(signature),
    );
    const signedData = seq(
      integer(Uint8Array.of(1)),
      set(sha256Alg),
      seq(oid(OID.data)),
      tlv(0xa0, cert.der),
      set(signerInfo),
    );
    return seq(oid(OID.signedData), tlv(0xa0, signedData));
  }

  return {
    b64, unb64, b64url, unb64url, hex, unhex, pemToDer, derToPem, sha256,
    parseCertificate, rawToDer, derToRaw, generateKeyPair, importPublic, publicPem,
    issuedBy, canonical, jwsSign, jwsPeek, jwsVerify, signDigest,
  };
})();
