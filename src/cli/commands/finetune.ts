import { openDataset } from '../../engine/data/open-dataset';
import { deriveChild } from '../../engine/model/child';
import type { BatchNormPolicy, FreezeSpec } from '../../engine/model/meta';
import { UsageError } from '../../engine/util/errors';
import { flag, stringOption } from '../args';
import type { Command } from '../command';
import { BACKEND_FLAGS, BACKEND_USAGE, IMPORT_FLAGS, IMPORT_USAGE, openModelFromArgs, RECIPE_FLAGS, RECIPE_USAGE, recipeFromArgs, seedFromArgs, startBackend } from '../common';
import { trainAndSave } from '../training-run';

export function parseFreeze(text: string, command: string): FreezeSpec {
  if (text === 'fixed' || text === 'full') return text;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${command}: --freeze must be a block count, "fixed" or "full", got "${text}"`);
  return n;
}

export const finetuneCommand: Command = {
  name: 'finetune',
  summary: 'derive a child of a foundation model and finetune it on a target dataset',
  usage: `bias-audit finetune --from MODEL --data SPEC --freeze K|fixed|full --epochs N --out DIR [options]

Copies MODEL's weights, puts a new classifier for the target classes on top (or keeps the head), freezes
the first K blocks (see \`bias-audit blocks MODEL\`) and trains the rest. After training, the frozen blocks'
weight hashes are checked unchanged. When blocks are frozen and nothing augments their input, their
activations are computed once and only the rest is trained (exact; --no-cache turns it off).
  --from MODEL          the foundation (model.json or its folder)
  --data SPEC           target training data
  --val SPEC            target validation data (default: a stratified --val-fraction of --data)
  --freeze K|fixed|full frozen blocks from the input side; fixed = all (fixed-feature), full = none
  --bn-policy frozen|train   BatchNorm statistics in frozen blocks (default frozen)
  --keep-head           keep the foundation's classifier (needs the same number of classes)
  --seed N              head initialisation, shuffles and splits (default 1)
  --out DIR             where to save the child
  --resume              continue from DIR.checkpoint/ after an interruption
  --no-cache            do not cache the frozen blocks' activations
${RECIPE_USAGE}
${IMPORT_USAGE}
${BACKEND_USAGE}`,
  spec: {
    values: ['from', 'data', 'val', 'freeze', 'bn-policy', 'seed', 'out', ...RECIPE_FLAGS.values, ...IMPORT_FLAGS.values, ...BACKEND_FLAGS.values],
    booleans: ['keep-head', 'resume', 'no-cache', ...RECIPE_FLAGS.booleans, ...BACKEND_FLAGS.booleans],
    positionals: [0, 0],
  },
  async run(args, ctx) {
    const c = 'finetune';
    const freezeDepth = parseFreeze(stringOption(args, 'freeze', c), c);
    const bnPolicy = stringOption(args, 'bn-policy', c, 'frozen') as BatchNormPolicy;
    if (bnPolicy !== 'frozen' && bnPolicy !== 'train') throw new UsageError(`${c}: --bn-policy must be frozen or train`);
    const out = stringOption(args, 'out', c);
    const recipe = recipeFromArgs(args, c);
    const seed = seedFromArgs(args, c);
    const backend = await startBackend(args, ctx, c);
    const foundation = await openModelFromArgs(stringOption(args, 'from', c), args, ctx, c);
    const train = await openDataset(stringOption(args, 'data', c));
    const valSpec = stringOption(args, 'val', c, undefined);
    const val = valSpec !== undefined ? await openDataset(valSpec) : undefined;
    const child = await deriveChild(foundation, { classNames: [...train.classNames], freezeDepth, keepHead: flag(args, 'keep-head'), bnPolicy, seed });
    foundation.model.dispose();
    try {
      const report = await trainAndSave(ctx, {
        command: c, loaded: child, train, val, recipe, seed, out, resume: flag(args, 'resume'), cachePrefix: !flag(args, 'no-cache'), backend,
        runKey: { parent: child.meta.lineage?.parentHash, freezeDepth, bnPolicy, keepHead: flag(args, 'keep-head') },
      });
      ctx.out(ctx.json ? JSON.stringify(report) : `saved the child (frozen: ${child.meta.lineage?.frozenBlocks.join(', ') || 'none'}) to ${report.out}: validation accuracy ${report.bestValAccuracy === null ? 'n/a' : `${(report.bestValAccuracy * 100).toFixed(1)}%`}`);
    } finally {
      child.model.dispose();
    }
  },
};
