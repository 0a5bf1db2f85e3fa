// Cuts the committed Fashion-MNIST sample (samples/fashion-mnist/) from Debian's `dataset-fashion-mnist`
// package. Deterministic: a fixed seed picks the images, and the gzip output carries no timestamp, so running
// it again gives byte-identical files. Run it with scripts/make-sample.sh.
//
// Usage: scripts/make-sample.sh [--source DIR] [--out DIR] [--seed N]  (or, after tsc: node out/scripts/make-sample.js ...)
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { encodeIdx, gzipDeterministic, readIdxFile } from '../src/engine/data/idx';
import { writeDirAtomic } from '../src/engine/util/atomic';
import { sha256File } from '../src/engine/util/hash';
import { Random, deriveSeed } from '../src/engine/util/random';
import { parseSampleArgs } from './sample-args';

/** Images per class in each split. Why these sizes: see the README this script writes. */
const SPLITS = [
  { name: 'pretrain', from: 'train', perClass: 500 },
  { name: 'finetune', from: 'train', perClass: 200 },
  { name: 'test', from: 't10k', perClass: 100 },
] as const;

/** Fashion-MNIST's class names, in label order (from the dataset's README). */
const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const DEFAULT_SOURCE = '/usr/share/datasets/fashion-mnist';
const DEFAULT_SEED = 20171025; // Fashion-MNIST's release date; any fixed value would do.

async function main(): Promise<void> {
  const args = parseSampleArgs(process.argv.slice(2), 'make-sample');
  const source = resolve(args.source ?? DEFAULT_SOURCE);
  const out = resolve(args.out ?? 'samples/fashion-mnist');
  const seed = args.seed !== undefined ? Number(args.seed) : DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${args.seed}`);

  const sets = {
    train: await readPair(source, 'train'),
    t10k: await readPair(source, 't10k'),
  };
  // Pretrain and finetune both come from the training set: draw each class's images once, in one seeded
  // order, and hand out consecutive slices so the two splits never share an image.
  const taken = { train: new Array<number>(CLASS_NAMES.length).fill(0), t10k: new Array<number>(CLASS_NAMES.length).fill(0) };
  const orders = {
    train: classOrders(sets.train.labels, seed, 'train'),
    t10k: classOrders(sets.t10k.labels, seed, 't10k'),
  };
  const written: { file: string; images: number }[] = [];
  const hashes = await sourceHashes(source);
  await writeDirAtomic(out, async (dir) => {
    for (const split of SPLITS) {
      const set = sets[split.from];
      const chosen: number[] = [];
      orders[split.from].forEach((order, label) => {
        const from = taken[split.from][label];
        if (order.length < from + split.perClass) throw new Error(`class ${label} of ${split.from} has only ${order.length} images`);
        chosen.push(...order.slice(from, from + split.perClass));
        taken[split.from][label] = from + split.perClass;
      });
      // Source order mixes the classes already; keep it rather than grouping by class.
      chosen.sort((a, b) => a - b);
      const imageBytes = set.height * set.width;
      const images = new Uint8Array(chosen.length * imageBytes);
      const labels = new Uint8Array(chosen.length);
      chosen.forEach((record, i) => {
        images.set(set.images.subarray(record * imageBytes, (record + 1) * imageBytes), i * imageBytes);
        labels[i] = set.labels[record];
      });
      await writeFile(join(dir, `${split.name}-images-idx3-ubyte.gz`), gzipDeterministic(encodeIdx([chosen.length, set.height, set.width], images)));
      await writeFile(join(dir, `${split.name}-labels-idx1-ubyte.gz`), gzipDeterministic(encodeIdx([chosen.length], labels)));
      written.push({ file: split.name, images: chosen.length });
    }
    await writeFile(join(dir, 'classes.txt'), `${CLASS_NAMES.join('\n')}\n`);
    await writeFile(join(dir, 'LICENSE'), LICENSE);
    await writeFile(join(dir, 'README.md'), readme(seed, hashes));
  });
  for (const { file, images } of written) console.error(`${file}: ${images} images`);
  console.error(`wrote ${out}`);
}

interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  height: number;
  width: number;
}

async function readPair(dir: string, prefix: 'train' | 't10k'): Promise<ImageSet> {
  const images = await readIdxFile(join(dir, `${prefix}-images-idx3-ubyte.gz`));
  const labels = await readIdxFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  const [count, height, width] = images.array.dims;
  if (images.array.dims.length !== 3 || labels.array.dims[0] !== count) throw new Error(`${dir}/${prefix}: unexpected IDX dimensions`);
  return { images: images.array.data, labels: labels.array.data, height, width };
}

/** Each class's record numbers in a seeded random order. */
function classOrders(labels: Uint8Array, seed: number, set: string): number[][] {
  const byClass: number[][] = CLASS_NAMES.map(() => []);
  labels.forEach((label, record) => byClass[label].push(record));
  return byClass.map((records, label) => new Random(deriveSeed(seed, set, label)).shuffle(records));
}

async function sourceHashes(dir: string): Promise<string> {
  const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
  const lines = await Promise.all(names.map(async (name) => `    ${await sha256File(join(dir, name))}  ${name}`));
  return lines.join('\n');
}

const LICENSE = `The images and labels in this folder are a subset of Fashion-MNIST,
https://github.com/zalandoresearch/fashion-mnist

The MIT License (MIT)
Copyright (c) 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

function readme(seed: number, hashes: string): string {
  const rows = SPLITS.map(
    (s) =>
      `| \`${s.name}\` | ${s.from === 'train' ? 'training set' : 'test set'} | ${s.perClass} | ${s.perClass * CLASS_NAMES.length} | \`idx:${s.name}-images-idx3-ubyte.gz,${s.name}-labels-idx1-ubyte.gz\` |`,
  );
  return `# Fashion-MNIST sample

A small, fixed subset of [Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist) (28x28 grayscale
images of clothing in 10 classes), for the demo and the tests. **Fashion-MNIST is (c) 2017 Zalando SE and
MIT licensed**; see [LICENSE](LICENSE). Paper: Han Xiao, Kashif Rasul, Roland Vollgraf, *Fashion-MNIST: a
Novel Image Dataset for Benchmarking Machine Learning Algorithms*, arXiv:1708.07747 (2017).

Cut by \`scripts/make-sample.sh\` from Debian's \`dataset-fashion-mnist\` package
(\`/usr/share/datasets/fashion-mnist\`) with seed ${seed}. Re-running the script gives byte-identical files
(gzip without a timestamp or file name).

| split | drawn from | per class | images | data SPEC (relative to this folder) |
|---|---|---|---|---|
${rows.join('\n')}

\`pretrain\` and \`finetune\` are disjoint (one seeded draw per class, consecutive slices). Within a split the
images keep Fashion-MNIST's own order. \`classes.txt\` names the labels 0-9; the data code reads it because it
lies beside the images files.

Why these sizes: the foundation model is pretrained once, offline, on \`pretrain\`. An audit finetunes several
children (freeze depths x seeds) and a scratch baseline on \`finetune\` and evaluates each on \`test\`, on two
CPU cores, so those two set the demo's time. 200 per class (2 000 images) is little enough data that children
lean on the foundation's features (where bias transfer shows) and enough to train a usable classifier; append
\`?perClass=50\` for a quicker run (a larger split can be cut down, not grown). 100 test images per class give
per-class accuracies in steps of 1%. The whole folder stays under 4 MB in git.

Source files (SHA-256):

${hashes}
`;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
