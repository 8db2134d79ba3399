/**
 * Draws authtray's icons (a padlock) as PNG files under assets/: the tray icons (a black template
 * image with alpha for macOS, a coloured one elsewhere, each at 1x and 2x), their attention variants
 * (a dot at the top right, shown while a link needs the person), and the 512 px app icon
 * electron-builder turns into .icns/.ico. Run with `node --import tsx scripts/make-icons.ts`; the
 * output is committed, so packaging needs no drawing tool.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An RGBA PNG of `size`×`size` pixels. */
export function encodePng(size: number, pixels: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(pixels.buffer, pixels.byteOffset + y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// Signed distances in a unit square (0..1), negative inside.
const box = (x: number, y: number, cx: number, cy: number, hw: number, hh: number, r: number) => {
  const dx = Math.abs(x - cx) - hw + r;
  const dy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0) - r;
};
const ring = (x: number, y: number, cx: number, cy: number, radius: number, width: number) => Math.abs(Math.hypot(x - cx, y - cy) - radius) - width / 2;

/** The padlock: 1 where the lock is, 0 outside, the keyhole cut out. */
function lock(x: number, y: number): number {
  const body = box(x, y, 0.5, 0.66, 0.34, 0.26, 0.07);
  const shackle = Math.max(ring(x, y, 0.5, 0.4, 0.2, 0.1), y - 0.42);
  const keyhole = Math.min(Math.hypot(x - 0.5, y - 0.62) - 0.065, box(x, y, 0.5, 0.72, 0.028, 0.09, 0.02));
  return Math.min(Math.max(body, -keyhole), shackle) < 0 ? 1 : 0;
}

function draw(size: number, paint: (x: number, y: number) => Rgba | null, samples = 4): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const color = paint((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size);
          if (!color) continue;
          const a = color[3] / 255;
          acc[0]! += color[0] * a;
          acc[1]! += color[1] * a;
          acc[2]! += color[2] * a;
          acc[3]! += a;
        }
      }
      const n = samples * samples;
      const i = (py * size + px) * 4;
      const alpha = acc[3]! / n;
      pixels[i] = alpha ? Math.round(acc[0]! / acc[3]!) : 0;
      pixels[i + 1] = alpha ? Math.round(acc[1]! / acc[3]!) : 0;
      pixels[i + 2] = alpha ? Math.round(acc[2]! / acc[3]!) : 0;
      pixels[i + 3] = Math.round(alpha * 255);
    }
  }
  return pixels;
}

/** The attention dot, top right, and a clear ring around it so it reads apart from the lock. */
const dot = (x: number, y: number) => Math.hypot(x - 0.85, y - 0.15) - 0.15;
const withDot = (base: (x: number, y: number) => Rgba | null, color: Rgba) => (x: number, y: number) => {
  const d = dot(x, y);
  if (d < 0) return color;
  return d < 0.06 ? null : base(x, y);
};

const BLUE: Rgba = [36, 88, 198, 255];
const ORANGE: Rgba = [214, 84, 0, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const BLACK: Rgba = [0, 0, 0, 255];
const inset = (m: number, f: (x: number, y: number) => Rgba | null) => (x: number, y: number) => f((x - m) / (1 - 2 * m), (y - m) / (1 - 2 * m));

const root = fileURLToPath(new URL('..', import.meta.url));
const tray = join(root, 'assets', 'tray');
mkdirSync(tray, { recursive: true });
for (const [scale, suffix] of [[1, ''], [2, '@2x']] as const) {
  const size = 16 * scale;
  // macOS template image: black and alpha only; the menu bar recolours it.
  writeFileSync(join(tray, `trayTemplate${suffix}.png`), encodePng(size, draw(size, inset(0.04, (x, y) => (lock(x, y) ? BLACK : null)))));
  writeFileSync(join(tray, `tray${suffix}.png`), encodePng(size, draw(size, inset(0.04, (x, y) => (lock(x, y) ? BLUE : null)))));
  const template = inset(0.04, (x, y) => (lock(x, y) ? BLACK : null));
  const colour = inset(0.04, (x, y) => (lock(x, y) ? BLUE : null));
  writeFileSync(join(tray, `trayAttentionTemplate${suffix}.png`), encodePng(size, draw(size, withDot(template, BLACK))));
  writeFileSync(join(tray, `trayAttention${suffix}.png`), encodePng(size, draw(size, withDot(colour, ORANGE))));
}
writeFileSync(
  join(root, 'assets', 'icon.png'),
  encodePng(512, draw(512, (x, y) => (box(x, y, 0.5, 0.5, 0.44, 0.44, 0.1) < 0 ? (lock((x - 0.2) / 0.6, (y - 0.2) / 0.6) ? WHITE : BLUE) : null), 3)),
);
process.stdout.write(`icons written to ${join(root, 'assets')}\n`);
