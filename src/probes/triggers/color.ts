/** An sRGB colour, each channel an integer 0..255. */
export type Rgb = readonly [number, number, number];

const NAMED: Record<string, Rgb> = {
  yellow: [255, 255, 0],
  red: [255, 0, 0],
  green: [0, 255, 0],
  blue: [0, 0, 255],
  white: [255, 255, 255],
  black: [0, 0, 0],
  gray: [128, 128, 128],
  grey: [128, 128, 128],
  cyan: [0, 255, 255],
  magenta: [255, 0, 255],
  orange: [255, 165, 0],
};

/**
 * Parses `#rrggbb`, `#rgb` or a colour name.
 * @throws Error with a message saying what is accepted (the spec parser wraps it in an AuditError).
 */
export function parseColor(text: string): Rgb {
  const t = text.trim().toLowerCase();
  const named = NAMED[t];
  if (named !== undefined) return named;
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/.exec(t);
  if (long) return [parseInt(long[1], 16), parseInt(long[2], 16), parseInt(long[3], 16)];
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(t);
  if (short) return [parseInt(short[1] + short[1], 16), parseInt(short[2] + short[2], 16), parseInt(short[3] + short[3], 16)];
  throw new Error(`color must be #rrggbb, #rgb or one of ${Object.keys(NAMED).join(', ')}, got "${text}"`);
}

/**
 * The colour as `channels` values: itself for RGB, BT.601 luma for grayscale (the weights the data layer
 * uses to convert RGB images to gray, so a gray model sees the trigger as it would see a gray photo of it).
 */
export function colorForChannels(color: Rgb, channels: number): number[] {
  if (channels === 3) return [color[0], color[1], color[2]];
  if (channels === 1) return [0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]];
  throw new RangeError(`trigger rendering supports 1 or 3 channels, got ${channels}`);
}
