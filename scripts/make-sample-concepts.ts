// Cuts the concept image folders of the association probe (samples/fashion-concepts/) from the committed
// Fashion-MNIST sample's test split, so the demo can measure representation associations and the Bias
// Transfer Score. Deterministic: a fixed seed and fixed rules pick the images, and the PNGs are encoded the
// same way every time. Run it with scripts/make-sample-concepts.sh.
//
// Concepts (an ImageFolder: one folder per concept, 28x28 grayscale PNGs):
// - one per class (`T-shirt-top`, `Trouser`, ..., `Ankle-boot`): 20 images of that class, drawn at random;
// - `light` and `dark`: attribute concepts that cut across classes, like "man" / "woman" across objects in
//   Ranjit et al.: from every class, the 2 images whose garment is lightest (highest mean intensity of the
//   foreground pixels) and the 2 darkest. Class-balanced, so an association with `light` is about lightness,
//   not about which classes happen to be light.
// The attribute images are set aside first, so no image is in two concepts (a shared image would give a
// cosine of exactly 1 and inflate an association).
//
// Usage: scripts/make-sample-concepts.sh [--source DIR] [--out DIR] [--seed N]
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { readIdxFile } from '../src/engine/data/idx';
import { writeDirAtomic } from '../src/engine/util/atomic';
import { sha256File } from '../src/engine/util/hash';
import { Random, deriveSeed } from '../src/engine/util/random';
import { parseSampleArgs } from './sample-args';

/** Folder names of Fashion-MNIST's classes, in label order (classes.txt with '/' and ' ' made path-safe). */
const CONCEPT_NAMES = ['T-shirt-top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle-boot'];
const PER_CLASS_CONCEPT = 20;
const ATTRIBUTE_PER_CLASS = 2;
/** A pixel above this (of 255) belongs to the garment, not the black background. */
const FOREGROUND_THRESHOLD = 16;
const DEFAULT_SEED = 7;
const IMAGES = 'test-images-idx3-ubyte.gz';
const LABELS = 'test-labels-idx1-ubyte.gz';

async function main(): Promise<void> {
  const args = parseSampleArgs(process.argv.slice(2), 'make-sample-concepts');
  const source = resolve(args.source ?? 'samples/fashion-mnist');
  const out = resolve(args.out ?? 'samples/fashion-concepts');
  const seed = args.seed !== undefined ? Number(args.seed) : DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${args.seed}`);

  const images = await readIdxFile(join(source, IMAGES));
  const labels = await readIdxFile(join(source, LABELS));
  const [count, height, width] = images.array.dims;
  if (images.array.dims.length !== 3 || labels.array.dims[0] !== count) throw new Error(`${source}: unexpected IDX dimensions`);
  const pixels = height * width;
  const byClass: number[][] = CONCEPT_NAMES.map(() => []);
  labels.array.data.forEach((label, record) => byClass[label].push(record));

  const concepts = new Map<string, number[]>([['light', []], ['dark', []]]);
  byClass.forEach((records, label) => {
    // Lightness ranks with the record number as the tie-break, so the order is total and reproducible.
    const ranked = [...records].sort((a, b) => lightness(images.array.data, a, pixels) - lightness(images.array.data, b, pixels) || a - b);
    const dark = ranked.slice(0, ATTRIBUTE_PER_CLASS);
    const light = ranked.slice(-ATTRIBUTE_PER_CLASS);
    concepts.get('dark')!.push(...dark);
    concepts.get('light')!.push(...light);
    const rest = new Random(deriveSeed(seed, 'concept', label)).shuffle(records.filter((r) => !dark.includes(r) && !light.includes(r)));
    if (rest.length < PER_CLASS_CONCEPT) throw new Error(`class ${label} has only ${rest.length} images left for its concept`);
    concepts.set(CONCEPT_NAMES[label], rest.slice(0, PER_CLASS_CONCEPT).sort((a, b) => a - b));
  });

  await writeDirAtomic(out, async (dir) => {
    const provenance: Record<string, number[]> = {};
    for (const [name, records] of concepts) {
      provenance[name] = records;
      await mkdir(join(dir, name), { recursive: true });
      for (const record of records) {
        const bytes = images.array.data.subarray(record * pixels, (record + 1) * pixels);
        const png = await sharp(Buffer.from(bytes), { raw: { width, height, channels: 1 } }).png({ compressionLevel: 9 }).toBuffer();
        await writeFile(join(dir, name, `test-${String(record).padStart(4, '0')}.png`), png);
      }
    }
    const manifest = {
      source: { images: IMAGES, labels: LABELS, sha256: { [IMAGES]: await sha256File(join(source, IMAGES)), [LABELS]: await sha256File(join(source, LABELS)) } },
      seed,
      rules: {
        classConcepts: `${PER_CLASS_CONCEPT} random test images per class (after setting the attribute images aside)`,
        light: `the ${ATTRIBUTE_PER_CLASS} test images per class with the highest mean intensity of pixels above ${FOREGROUND_THRESHOLD}`,
        dark: `the ${ATTRIBUTE_PER_CLASS} test images per class with the lowest mean intensity of pixels above ${FOREGROUND_THRESHOLD}`,
      },
      testRecords: provenance,
    };
    // A file at the root is not a concept: ImageFolder lists only sub-folders.
    await writeFile(join(dir, 'provenance.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  for (const [name, records] of concepts) console.error(`${name}: ${records.length} images`);
  console.error(`wrote ${out}`);
}

/** Mean intensity of the garment's pixels (those above the background threshold); 0 for an empty image. */
function lightness(data: Uint8Array, record: number, pixels: number): number {
  let sum = 0;
  let n = 0;
  for (let i = record * pixels; i < (record + 1) * pixels; i++) {
    if (data[i] > FOREGROUND_THRESHOLD) {
      sum += data[i];
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

main().catch((e: unknown) => {
  console.error(`make-sample-concepts: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
