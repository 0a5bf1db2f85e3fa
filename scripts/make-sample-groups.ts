// Builds samples/fashion-groups/: a binary Fashion-MNIST task (Pullover vs Coat) with a synthetic sensitive
// attribute, `background` (dark: the original black background; light: the background lifted to gray), that
// is spuriously correlated with the label in the training split and independent of it in the validation and
// test splits, for the group-disparity probe and its finetuning-data interventions (MISSION.md probe 4).
// Deterministic: a fixed seed picks the images and the attribute; PNGs are written by sharp without metadata.
//
// Usage: scripts/make-sample-groups.sh [--source DIR] [--out DIR] [--seed N]
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { readIdxFile } from '../src/engine/data/idx';
import { writeDirAtomic } from '../src/engine/util/atomic';
import { sha256File } from '../src/engine/util/hash';
import { Random, deriveSeed } from '../src/engine/util/random';
import { parseSampleArgs } from './sample-args';

/** Fashion-MNIST labels of the two classes, in the order of classes.txt (Coat = index 1, the positive class). */
const CLASSES = [
  { name: 'Pullover', fashionLabel: 2 },
  { name: 'Coat', fashionLabel: 4 },
] as const;

/** Images per class and the share with a light background, per class, in each split. */
const SPLITS = [
  { name: 'train', perClass: 500, lightShare: { Pullover: 0.1, Coat: 0.9 } },
  { name: 'val', perClass: 100, lightShare: { Pullover: 0.5, Coat: 0.5 } },
  { name: 'test', perClass: 200, lightShare: { Pullover: 0.5, Coat: 0.5 } },
] as const;

/** Light background: v' = LIGHT_FLOOR + v * (255 - LIGHT_FLOOR) / 255, so the garment keeps its contrast order. */
const LIGHT_FLOOR = 96;
const DEFAULT_SOURCE = '/usr/share/datasets/fashion-mnist';
const DEFAULT_SEED = 4;

async function main(): Promise<void> {
  const args = parseSampleArgs(process.argv.slice(2), 'make-sample-groups');
  const source = resolve(args.source ?? DEFAULT_SOURCE);
  const out = resolve(args.out ?? 'samples/fashion-groups');
  const seed = args.seed !== undefined ? Number(args.seed) : DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${args.seed}`);
  // Fashion-MNIST's test set: the foundation sample (samples/fashion-mnist pretrain) comes from its training
  // set, so none of these images was seen in pretraining.
  const images = await readIdxFile(join(source, 't10k-images-idx3-ubyte.gz'));
  const labels = await readIdxFile(join(source, 't10k-labels-idx1-ubyte.gz'));
  const [count, height, width] = images.array.dims;
  if (images.array.dims.length !== 3 || labels.array.dims[0] !== count) throw new Error(`${source}: unexpected IDX dimensions`);
  const rows: string[] = ['path,label,background,split'];
  const counts: Record<string, number> = {};
  await writeDirAtomic(out, async (dir) => {
    for (const cls of CLASSES) {
      const records: number[] = [];
      labels.array.data.forEach((label, record) => {
        if (label === cls.fashionLabel) records.push(record);
      });
      const order = new Random(deriveSeed(seed, 'order', cls.name)).shuffle(records);
      let taken = 0;
      for (const split of SPLITS) {
        const chosen = order.slice(taken, taken + split.perClass).sort((a, b) => a - b);
        taken += split.perClass;
        if (chosen.length < split.perClass) throw new Error(`class ${cls.name} has too few images`);
        // Exactly round(share * n) light images per class and split, chosen at random.
        const lightCount = Math.round(split.lightShare[cls.name] * split.perClass);
        const light = new Set(new Random(deriveSeed(seed, 'background', split.name, cls.name)).shuffle([...chosen]).slice(0, lightCount));
        for (const record of chosen) {
          const background = light.has(record) ? 'light' : 'dark';
          const pixels = Uint8Array.from(images.array.data.subarray(record * height * width, (record + 1) * height * width), (v) =>
            background === 'light' ? Math.round(LIGHT_FLOOR + (v * (255 - LIGHT_FLOOR)) / 255) : v,
          );
          const file = `images/${split.name}/${cls.name.toLowerCase()}-${String(record).padStart(4, '0')}.png`;
          const png = await sharp(Buffer.from(pixels), { raw: { width, height, channels: 1 } }).png({ compressionLevel: 9 }).toBuffer();
          await writeFileIn(dir, file, png);
          rows.push(`${file},${cls.name},${background},${split.name}`);
          const key = `${split.name} ${cls.name} ${background}`;
          counts[key] = (counts[key] ?? 0) + 1;
        }
      }
    }
    // Rows sorted by path: a stable manifest whatever the loop order.
    const body = rows.slice(1).sort();
    await writeFile(join(dir, 'groups.csv'), `${[rows[0], ...body].join('\n')}\n`);
    await writeFile(join(dir, 'classes.txt'), `${CLASSES.map((c) => c.name).join('\n')}\n`);
    await writeFile(join(dir, 'README.md'), readme(seed, counts, await sha256File(join(source, 't10k-images-idx3-ubyte.gz'))));
  });
  for (const [key, n] of Object.entries(counts).sort()) console.error(`${key}: ${n}`);
  console.error(`wrote ${out}`);
}

async function writeFileIn(dir: string, relative: string, data: Uint8Array): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  const path = join(dir, relative);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, data);
}

function readme(seed: number, counts: Record<string, number>, sourceHash: string): string {
  const cell = (split: string, cls: string, bg: string): number => counts[`${split} ${cls} ${bg}`] ?? 0;
  const rows = SPLITS.map((s) => `| \`${s.name}\` | ${cell(s.name, 'Coat', 'light')} | ${cell(s.name, 'Coat', 'dark')} | ${cell(s.name, 'Pullover', 'light')} | ${cell(s.name, 'Pullover', 'dark')} |`);
  return `# Fashion-MNIST groups sample

A binary task with a synthetic sensitive attribute, for the group-disparity probe (MISSION.md probe 4) and its
finetuning-data interventions. Images are 28x28 grayscale PNGs from the Fashion-MNIST **test set** (so none
was seen when the sample foundation was pretrained on \`samples/fashion-mnist\`'s pretrain split).
**Fashion-MNIST is (c) 2017 Zalando SE and MIT licensed**; see ../fashion-mnist/LICENSE.

- **Task**: \`Pullover\` (label 0) vs \`Coat\` (label 1, the positive class): two classes that look alike, so a
  shortcut is tempting.
- **Attribute** \`background\`: \`dark\` (Fashion-MNIST's own black background) or \`light\` (every pixel lifted
  to v' = ${LIGHT_FLOOR} + v * ${255 - LIGHT_FLOOR} / 255: a gray background, the garment's shading kept). It stands in for a
  sensitive attribute such as lighting or skin tone: visible, irrelevant to the label.
- **Spurious correlation in training only**: 90% of the training coats and 10% of the training pullovers have
  a light background (label-attribute correlation phi = 0.8). In \`val\` and \`test\` the background is
  independent of the label (50/50 in each class), like the deployment population. A model that learns
  "light means coat" misses dark coats and calls light pullovers coats: the bias shows as gaps between the
  groups in TPR (coats found), FPR (pullovers called coats) and accuracy. Reweighting balances the label x
  background cells; resampling to correlation 0 keeps 50 training images per cell (200 images), to 0.4 at
  most 333 (the probe gives every resampled set the same size by default: 200).

| split | Coat, light | Coat, dark | Pullover, light | Pullover, dark |
|---|---|---|---|---|
${rows.join('\n')}

Manifest \`groups.csv\`: \`path,label,background,split\` (paths relative to this folder, labels by name from
\`classes.txt\`). Data SPECs: \`samples/fashion-groups/groups.csv?split=train\` (and \`split=val\`,
\`split=test\`). Validation (\`split=val\`) is where the binary decision threshold is calibrated.

Made by \`scripts/make-sample-groups.sh\` (seed ${seed}) from Debian's \`dataset-fashion-mnist\`
(t10k-images-idx3-ubyte.gz, SHA-256 ${sourceHash}); re-running it gives the same files.
`;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
