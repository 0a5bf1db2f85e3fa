import { isAbsolute, resolve } from 'node:path';
import type { PixelTransform } from '../../engine/data/batches';
import { hashJson } from '../../engine/util/hash';
import { decodePatchImage } from './patch-image';
import { TriggerRenderer } from './render';
import { formatTriggerSpec, parseTriggerSpec, type TriggerSpec } from './trigger-spec';

/** A trigger ready to overlay: parsed, its patch decoded, with the ids that key cached predictions. */
export interface Trigger {
  spec: TriggerSpec;
  /** The canonical spec (defaults filled in; a patch's file absolute). */
  canonical: string;
  /** Stable id of the overlay for `ProbeContext.predict`'s cache: the canonical spec and the patch's content hash. */
  transformId: string;
  /** Overlays the trigger on one decoded image in place. */
  apply: PixelTransform;
  /** The pixel box on an image of this size (for a `random` position: of this sample). */
  box(height: number, width: number, sampleIndex: number): { x: number; y: number; width: number; height: number };
}

/**
 * Parses a trigger spec and prepares it for rendering: a patch's PNG is read and decoded now, so a file that
 * does not decode fails before any training or prediction starts.
 *
 * @param options.baseDir resolves a relative `file=` (default: the working directory; the audit passes the config's folder).
 * @param options.where names the spec in errors (`--trigger`, `probes.interventions.triggers[0]`).
 * @throws AuditError naming `where` for a bad spec, or the PNG for a patch that is missing or does not decode.
 */
export async function loadTrigger(text: string | TriggerSpec, options: { baseDir?: string; where?: string } = {}): Promise<Trigger> {
  const parsed = typeof text === 'string' ? parseTriggerSpec(text, options.where) : text;
  const spec: TriggerSpec = parsed.file !== null && !isAbsolute(parsed.file) ? { ...parsed, file: resolve(options.baseDir ?? process.cwd(), parsed.file) } : parsed;
  const patch = spec.kind === 'patch' ? await decodePatchImage(spec.file as string) : null;
  const renderer = new TriggerRenderer(spec, patch);
  const canonical = formatTriggerSpec(spec);
  // The patch's bytes, not its path, identify the overlay: a moved copy hits the cache, an edited PNG does not.
  const transformId = `trigger:${hashJson({ canonical: formatTriggerSpec({ ...spec, file: null }), patch: patch?.contentHash ?? null })}`;
  return {
    spec,
    canonical,
    transformId,
    apply: (pixels, height, width, channels, sampleIndex) => renderer.apply(pixels, height, width, channels, sampleIndex),
    box: (height, width, sampleIndex) => renderer.box(height, width, sampleIndex),
  };
}
