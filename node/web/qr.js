// qr.js is a small QR code encoder (ISO/IEC 18004): byte mode, error
// correction level M, versions 1 to 9 (up to 180 bytes), the mask with
// the lowest penalty. Enough for a peer ID; written here so that the page
// has no dependency.

// EC codewords per block and the block sizes of level M, versions 1–9.
const BLOCKS = [null,
  [10, [16]], [16, [28]], [26, [44]], [18, [32, 32]], [24, [43, 43]],
  [16, [27, 27, 27, 27]], [18, [31, 31, 31, 31]], [22, [38, 38, 39, 39]], [22, [36, 36, 36, 37, 37]]];
const ALIGN = [null, [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46]];

function gfMul(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) { z = (z << 1) ^ ((z >>> 7) * 0x11d); z ^= ((y >>> i) & 1) * x; }
  return z;
}

function rsDivisor(degree) {
  const r = new Array(degree).fill(0);
  r[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) { r[j] = gfMul(r[j], root); if (j + 1 < degree) r[j] ^= r[j + 1]; }
    root = gfMul(root, 2);
  }
  return r;
}

function rsRemainder(data, div) {
  const r = div.map(() => 0);
  for (const b of data) {
    const f = b ^ r.shift();
    r.push(0);
    div.forEach((c, i) => { r[i] ^= gfMul(c, f); });
  }
  return r;
}

// codewords returns the interleaved data and EC codewords of bytes.
function codewords(bytes, ver) {
  const [ecLen, sizes] = BLOCKS[ver];
  const cap = sizes.reduce((a, b) => a + b, 0);
  const bits = [];
  const put = (v, n) => { for (let i = n - 1; i >= 0; i--) bits.push((v >>> i) & 1); };
  put(4, 4); put(bytes.length, 8);
  for (const b of bytes) put(b, 8);
  put(0, Math.min(4, cap * 8 - bits.length));
  while (bits.length % 8) bits.push(0);
  const data = [];
  for (let i = 0; i < bits.length; i += 8) data.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
  for (let pad = 0xec; data.length < cap; pad ^= 0xec ^ 0x11) data.push(pad);
  const div = rsDivisor(ecLen);
  const blocks = [];
  let k = 0;
  for (const n of sizes) { const d = data.slice(k, k + n); k += n; blocks.push({ d, e: rsRemainder(d, div) }); }
  const out = [];
  for (let i = 0; i < Math.max(...sizes); i++) for (const b of blocks) if (i < b.d.length) out.push(b.d[i]);
  for (let i = 0; i < ecLen; i++) for (const b of blocks) out.push(b.e[i]);
  return out;
}

const MASKS = [
  (x, y) => (x + y) % 2 === 0, (x, y) => y % 2 === 0, (x) => x % 3 === 0, (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0, (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0, (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

class Grid {
  constructor(ver) {
    this.ver = ver; this.size = ver * 4 + 17;
    this.m = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
    this.fn = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
  }
  set(x, y, dark) { this.m[y][x] = dark; this.fn[y][x] = true; }
  functionPatterns() {
    const s = this.size;
    for (let i = 0; i < s; i++) { this.set(6, i, i % 2 === 0); this.set(i, 6, i % 2 === 0); }
    for (const [cx, cy] of [[3, 3], [s - 4, 3], [3, s - 4]]) {
      for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx; const y = cy + dy;
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        if (x >= 0 && x < s && y >= 0 && y < s) this.set(x, y, d !== 2 && d !== 4);
      }
    }
    const a = ALIGN[this.ver];
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a.length; j++) {
      if ((i === 0 && j === 0) || (i === 0 && j === a.length - 1) || (i === a.length - 1 && j === 0)) continue;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) this.set(a[i] + dx, a[j] + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
    this.format(0);
    if (this.ver >= 7) {
      let r = this.ver;
      for (let i = 0; i < 12; i++) r = (r << 1) ^ ((r >>> 11) * 0x1f25);
      const bits = (this.ver << 12) | r;
      for (let i = 0; i < 18; i++) {
        const dark = ((bits >>> i) & 1) === 1;
        const p = s - 11 + (i % 3); const q = Math.floor(i / 3);
        this.set(p, q, dark); this.set(q, p, dark);
      }
    }
  }
  format(mask) {
    const s = this.size;
    const data = (0 << 3) | mask; // level M is 00
    let r = data;
    for (let i = 0; i < 10; i++) r = (r << 1) ^ ((r >>> 9) * 0x537);
    const bits = ((data << 10) | r) ^ 0x5412;
    const bit = (i) => ((bits >>> i) & 1) === 1;
    for (let i = 0; i <= 5; i++) this.set(8, i, bit(i));
    this.set(8, 7, bit(6)); this.set(8, 8, bit(7)); this.set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.set(s - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.set(8, s - 15 + i, bit(i));
    this.set(8, s - 8, true);
  }
  place(cw) {
    const s = this.size;
    let i = 0;
    for (let right = s - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (let v = 0; v < s; v++) for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = ((right + 1) & 2) === 0 ? s - 1 - v : v;
        if (!this.fn[y][x] && i < cw.length * 8) { this.m[y][x] = ((cw[i >>> 3] >>> (7 - (i & 7))) & 1) === 1; i++; }
      }
    }
  }
  mask(k) {
    for (let y = 0; y < this.size; y++) for (let x = 0; x < this.size; x++) if (!this.fn[y][x] && MASKS[k](x, y)) this.m[y][x] = !this.m[y][x];
  }
  penalty() {
    const s = this.size; const m = this.m;
    let p = 0; let dark = 0;
    const line = (get) => {
      let run = 1; const seq = [];
      for (let i = 0; i < s; i++) {
        seq.push(get(i) ? 1 : 0);
        if (i > 0 && get(i) === get(i - 1)) { run++; if (run === 5) p += 3; else if (run > 5) p++; } else run = 1;
      }
      const str = seq.join('');
      for (const pat of ['10111010000', '00001011101']) for (let at = str.indexOf(pat); at >= 0; at = str.indexOf(pat, at + 1)) p += 40;
    };
    for (let y = 0; y < s; y++) { line((x) => m[y][x]); for (let x = 0; x < s; x++) if (m[y][x]) dark++; }
    for (let x = 0; x < s; x++) line((y) => m[y][x]);
    for (let y = 0; y + 1 < s; y++) for (let x = 0; x + 1 < s; x++) {
      const c = m[y][x];
      if (c === m[y][x + 1] && c === m[y + 1][x] && c === m[y + 1][x + 1]) p += 3;
    }
    p += 10 * Math.floor(Math.abs((dark * 100) / (s * s) - 50) / 5);
    return p;
  }
}

/** qrMatrix returns the QR code of text as rows of booleans (true: dark). */
export function qrMatrix(text) {
  const bytes = new TextEncoder().encode(text);
  let ver = 1;
  while (ver <= 9 && BLOCKS[ver][1].reduce((a, b) => a + b, 0) < bytes.length + 2) ver++;
  if (ver > 9) throw new Error('text too long for a QR code here');
  const cw = codewords(bytes, ver);
  let best = null; let bestP = Infinity;
  for (let k = 0; k < 8; k++) {
    const g = new Grid(ver);
    g.functionPatterns(); g.place(cw); g.mask(k); g.format(k);
    const p = g.penalty();
    if (p < bestP) { best = g; bestP = p; }
  }
  return best.m;
}

/** qrCanvas draws the QR code of text on a canvas, with a quiet zone. */
export function qrCanvas(text, scale = 5) {
  const m = qrMatrix(text);
  const n = m.length + 8;
  const c = document.createElement('canvas');
  c.width = c.height = n * scale;
  const g = c.getContext('2d');
  g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = '#000';
  m.forEach((row, y) => row.forEach((dark, x) => { if (dark) g.fillRect((x + 4) * scale, (y + 4) * scale, scale, scale); }));
  return c;
}
