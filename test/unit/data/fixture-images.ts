// The content of test/fixtures/data/: a tiny ImageFolder (PNG, JPEG, WebP; grayscale, RGB, RGBA; a nested
// folder) and CSV + JSONL manifests over it with an attribute column and a split column. The committed files
// were written by `writeDataFixtures`; a test checks that the lossless ones still hold these exact pixels.
// Regenerate: npx tsc -p . && node -e "require('./out/test/unit/data/fixture-images.js').writeDataFixtures('test/fixtures/data')"
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/** One fixture image: where it lies, how it is encoded, and its pixels as a function. */
export interface FixtureImage {
  /** Relative to the fixture root, e.g. `folder/circle/a.png`. */
  path: string;
  className: string;
  format: 'png' | 'jpeg' | 'webp';
  height: number;
  width: number;
  /** Channels as stored: 1 gray, 3 RGB, 4 RGBA. */
  channels: 1 | 3 | 4;
  pixel(y: number, x: number, c: number): number;
}

/** The ImageFolder's images; classes in folder order are circle (0), square (1), stripes (2). */
export const FIXTURE_IMAGES: readonly FixtureImage[] = [
  { path: 'folder/circle/a.png', className: 'circle', format: 'png', height: 10, width: 12, channels: 3, pixel: (y, x, c) => [20 * x, 25 * y, 100][c] },
  { path: 'folder/circle/b.jpg', className: 'circle', format: 'jpeg', height: 10, width: 12, channels: 3, pixel: (y, x, c) => [20 * x, 25 * y, 100][c] },
  { path: 'folder/circle/c.webp', className: 'circle', format: 'webp', height: 10, width: 12, channels: 3, pixel: (y, x, c) => [200, 10 * x, 15 * y][c] },
  { path: 'folder/square/a.png', className: 'square', format: 'png', height: 8, width: 8, channels: 1, pixel: (y, x) => 30 * ((x + y) % 8) },
  // Opaque red on the left half, fully transparent on the right (flattened onto black when decoded).
  { path: 'folder/square/b.png', className: 'square', format: 'png', height: 8, width: 8, channels: 4, pixel: (_y, x, c) => [255, 0, 0, x < 4 ? 255 : 0][c] },
  { path: 'folder/square/c.jpeg', className: 'square', format: 'jpeg', height: 8, width: 8, channels: 3, pixel: (_y, _x, c) => [0, 128, 255][c] },
  { path: 'folder/stripes/a.webp', className: 'stripes', format: 'webp', height: 6, width: 6, channels: 3, pixel: (_y, x) => (x % 2 === 1 ? 255 : 0) },
  { path: 'folder/stripes/c.png', className: 'stripes', format: 'png', height: 6, width: 6, channels: 3, pixel: (y, x, c) => [40 * x, 40 * y, 0][c] },
  { path: 'folder/stripes/nested/b.png', className: 'stripes', format: 'png', height: 6, width: 6, channels: 3, pixel: (y) => (y % 2 === 1 ? 255 : 0) },
];

/** Class names of the manifests' classes.txt, deliberately not in folder order. */
export const MANIFEST_CLASSES = ['square', 'circle', 'stripes'];

/** Manifest rows: label as a name or as an index into MANIFEST_CLASSES, a `group` attribute and a split. */
export const MANIFEST_ROWS: readonly { image: string; label: string | number; group: string; split: string }[] = [
  { image: 'folder/circle/a.png', label: 'circle', group: 'a', split: 'train' },
  { image: 'folder/circle/b.jpg', label: 1, group: 'b', split: 'train' },
  { image: 'folder/circle/c.webp', label: 'circle', group: 'b', split: 'test' },
  { image: 'folder/square/a.png', label: 'square', group: 'a', split: 'train' },
  { image: 'folder/square/b.png', label: 0, group: 'a', split: 'test' },
  { image: 'folder/square/c.jpeg', label: 'square', group: 'b', split: 'train' },
  { image: 'folder/stripes/a.webp', label: 'stripes', group: 'a', split: 'train' },
  { image: 'folder/stripes/nested/b.png', label: 2, group: 'b', split: 'test' },
  { image: 'folder/stripes/c.png', label: 'stripes', group: 'b, with a comma', split: 'train' },
];

/** Expected interleaved pixels of a fixture image as stored (its own channel count). */
export function fixturePixels(image: FixtureImage): Uint8Array {
  const data = new Uint8Array(image.height * image.width * image.channels);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      for (let c = 0; c < image.channels; c++) data[(y * image.width + x) * image.channels + c] = image.pixel(y, x, c);
    }
  }
  return data;
}

/** Writes the whole fixture under `root` (folder/, manifest/). */
export async function writeDataFixtures(root: string): Promise<void> {
  for (const image of FIXTURE_IMAGES) {
    const input = sharp(fixturePixels(image), { raw: { width: image.width, height: image.height, channels: image.channels } });
    // Without this sharp would write a single-channel source as an RGB file.
    const raw = image.channels === 1 ? input.toColourspace('b-w') : input;
    const encoded =
      image.format === 'png'
        ? await raw.png({ compressionLevel: 9 }).toBuffer()
        : image.format === 'webp'
          ? await raw.webp({ lossless: true }).toBuffer()
          : await raw.jpeg({ quality: 95 }).toBuffer();
    const file = join(root, image.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, encoded);
  }
  // Not a class: files beside the class folders and hidden folders are ignored.
  await writeFile(join(root, 'folder', 'README.txt'), 'Fixture ImageFolder: one sub-folder per class.\n');
  await mkdir(join(root, 'folder', '.hidden'), { recursive: true });
  await writeFile(join(root, 'folder', '.hidden', 'ignored.png'), 'not an image');

  const manifestDir = join(root, 'manifest');
  await mkdir(manifestDir, { recursive: true });
  await writeFile(join(manifestDir, 'classes.txt'), `${MANIFEST_CLASSES.join('\n')}\n`);
  const csvField = (value: string | number): string => (/[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value));
  const csv = ['path,label,group,split', ...MANIFEST_ROWS.map((r) => [`../${r.image}`, r.label, r.group, r.split].map(csvField).join(','))];
  await writeFile(join(manifestDir, 'manifest.csv'), `${csv.join('\r\n')}\r\n`);
  const jsonl = MANIFEST_ROWS.map((r) => JSON.stringify({ path: `../${r.image}`, label: r.label, group: r.group, split: r.split }));
  await writeFile(join(manifestDir, 'manifest.jsonl'), `${jsonl.join('\n')}\n`);
}
