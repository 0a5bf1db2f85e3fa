import { openDataset } from '../../engine/data/open-dataset';
import { buildScratch } from '../../engine/model/child';
import { flag, stringOption } from '../args';
import type { Command } from '../command';
import { BACKEND_FLAGS, BACKEND_USAGE, IMPORT_FLAGS, IMPORT_USAGE, openModelFromArgs, RECIPE_FLAGS, RECIPE_USAGE, recipeFromArgs, seedFromArgs, startBackend } from '../common';
import { trainAndSave } from '../training-run';

export const scratchCommand: Command = {
  name: 'scratch',
  summary: 'train the scratch baseline: a model\'s architecture from random initialisation',
  usage: `bias-audit scratch --like MODEL --data SPEC --epochs N --out DIR [options]

Builds MODEL's architecture with a classifier for the target classes, initialises every weight afresh
from --seed, and trains it with the same recipe options as finetune.
  --like MODEL          the architecture to copy (its weights are not used)
  --data SPEC           target training data
  --val SPEC            target validation data
  --seed N              initialisation, shuffles and splits (default 1)
  --out DIR             where to save the model
  --resume              continue from DIR.checkpoint/
${RECIPE_USAGE}
${IMPORT_USAGE}
${BACKEND_USAGE}`,
  spec: {
    values: ['like', 'data', 'val', 'seed', 'out', ...RECIPE_FLAGS.values, ...IMPORT_FLAGS.values, ...BACKEND_FLAGS.values],
    booleans: ['resume', ...RECIPE_FLAGS.booleans, ...BACKEND_FLAGS.booleans],
    positionals: [0, 0],
  },
  async run(args, ctx) {
    const c = 'scratch';
    const out = stringOption(args, 'out', c);
    const recipe = recipeFromArgs(args, c);
    const seed = seedFromArgs(args, c);
    const backend = await startBackend(args, ctx, c);
    const like = await openModelFromArgs(stringOption(args, 'like', c), args, ctx, c);
    const train = await openDataset(stringOption(args, 'data', c));
    const valSpec = stringOption(args, 'val', c, undefined);
    const val = valSpec !== undefined ? await openDataset(valSpec) : undefined;
    const scratch = await buildScratch(like, { classNames: [...train.classNames], seed });
    like.model.dispose();
    try {
      const report = await trainAndSave(ctx, { command: c, loaded: scratch, train, val, recipe, seed, out, resume: flag(args, 'resume'), cachePrefix: false, backend, runKey: { scratchOf: like.meta.architecture } });
      ctx.out(ctx.json ? JSON.stringify(report) : `saved the scratch baseline to ${report.out}: validation accuracy ${report.bestValAccuracy === null ? 'n/a' : `${(report.bestValAccuracy * 100).toFixed(1)}%`}`);
    } finally {
      scratch.model.dispose();
    }
  },
};
