import { analyzeBlocks } from '../../engine/model/blocks';
import { formatBlockMap } from '../../engine/model/format-blocks';
import { initBackend } from '../../engine/backend/select';

import type { Command } from '../command';
import { BACKEND_FLAGS, IMPORT_FLAGS, IMPORT_USAGE, openModelFromArgs } from '../common';

export const blocksCommand: Command = {
  name: 'blocks',
  summary: 'print a model\'s block map (what each freeze depth freezes)',
  usage: `bias-audit blocks MODEL [--json]

Prints the named blocks (from Keras ResNet naming, explicit prefixes in the model's meta, or the
downsampling points of other conv nets) with their layers, parameters and output shapes. Freeze depth K
freezes the first K blocks.
${IMPORT_USAGE}`,
  spec: { values: [...IMPORT_FLAGS.values], booleans: [...BACKEND_FLAGS.booleans], positionals: [1, 1] },
  async run(args, ctx) {
    // Reading a model needs a tensor backend but no speed: the pure-JS one starts instantly.
    await initBackend({ backend: 'cpu' });
    const loaded = await openModelFromArgs(args.positionals[0], args, ctx, 'blocks');
    try {
      const analysis = analyzeBlocks(loaded.model, loaded.meta);
      ctx.out(ctx.json ? JSON.stringify({ model: args.positionals[0], ...analysis }) : formatBlockMap(loaded.model, analysis));
    } finally {
      loaded.model.dispose();
    }
  },
};
