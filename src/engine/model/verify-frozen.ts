import { blockMap } from './blocks';
import type { LoadedModel } from './meta';
import { changedBlocks, frozenWeightHashes } from './model-hash';

/**
 * Names of the frozen blocks whose weights or BatchNorm statistics differ from the hashes recorded when
 * the child was derived; empty when every frozen block is intact (or nothing was frozen). Call after
 * training and put the result in the run's results: it is the proof that freezing held.
 */
export function changedFrozenBlocks(child: LoadedModel): string[] {
  const expected = child.meta.frozenWeightHashes;
  const depth = child.meta.lineage?.freezeDepth ?? 0;
  if (!expected || depth === 0) return [];
  return changedBlocks(expected, frozenWeightHashes(child.model, blockMap(child.model, child.meta), depth));
}
