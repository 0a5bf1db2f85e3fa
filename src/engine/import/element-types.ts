import { endianness } from 'node:os';

/**
 * The element types checkpoints store, named once for all formats, and their conversion to float32.
 * Every reader maps its own type names (safetensors `BF16`, `torch.HalfStorage`, ONNX `FLOAT16`) to these.
 */
export type ElementType =
  | 'float64'
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float8_e4m3fn'
  | 'float8_e5m2'
  | 'float8_e8m0'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint64'
  | 'uint32'
  | 'uint16'
  | 'uint8'
  | 'bool';

const BYTES: Record<ElementType, number> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float8_e4m3fn: 1,
  float8_e5m2: 1,
  float8_e8m0: 1,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  uint8: 1,
  bool: 1,
};

/** Bytes per element. */
export function elementSize(type: ElementType): number {
  return BYTES[type];
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * Decodes `count` little-endian elements of `type` from `bytes` (which must hold exactly that many) into
 * float32. Integers beyond 2^24 lose precision, as they do in `tensor.float()`.
 */
export function decodeToFloat32(bytes: Uint8Array, type: ElementType, count: number): Float32Array {
  const expected = count * BYTES[type];
  if (bytes.byteLength !== expected) {
    throw new RangeError(`decodeToFloat32: ${count} ${type} elements need ${expected} bytes, got ${bytes.byteLength}`);
  }
  if (type === 'float32' && LITTLE_ENDIAN_HOST) {
    // One copy into a fresh, aligned buffer: checkpoint offsets need not be 4-byte aligned. (Not
    // `bytes.slice()`: on a Node Buffer that is a view of the shared pool, not a copy.)
    return new Float32Array(new Uint8Array(bytes).buffer, 0, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (type) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = float16ToNumber(view.getUint16(i * 2, true));
      break;
    case 'bfloat16':
      for (let i = 0; i < count; i++) out[i] = bfloat16ToNumber(view.getUint16(i * 2, true));
      break;
    case 'float8_e4m3fn':
      for (let i = 0; i < count; i++) out[i] = float8E4M3FnToNumber(bytes[i]);
      break;
    case 'float8_e5m2':
      for (let i = 0; i < count; i++) out[i] = float8E5M2ToNumber(bytes[i]);
      break;
    case 'float8_e8m0':
      for (let i = 0; i < count; i++) out[i] = bytes[i] === 0xff ? NaN : 2 ** (bytes[i] - 127);
      break;
    case 'int64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'uint64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigUint64(i * 8, true));
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'uint32':
      for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, true);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'uint16':
      for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'uint8':
      out.set(bytes);
      break;
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = bytes[i] !== 0 ? 1 : 0;
      break;
  }
  return out;
}

/** IEEE 754 binary16. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** bfloat16: the upper half of a float32. */
export function bfloat16ToNumber(bits: number): number {
  scratchWord[0] = bits << 16;
  return scratchFloat[0];
}

// One word seen as both integer and float (same host byte order for both views).
const scratchWord = new Uint32Array(1);
const scratchFloat = new Float32Array(scratchWord.buffer);

/** OCP FP8 E4M3 "fn": no infinities, 0x7f/0xff are NaN, bias 7. */
export function float8E4M3FnToNumber(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exponent = (byte >> 3) & 0x0f;
  const mantissa = byte & 0x07;
  if (exponent === 0x0f && mantissa === 0x07) return NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -9;
  return sign * (1 + mantissa / 8) * 2 ** (exponent - 7);
}

/** OCP FP8 E5M2: IEEE-like with infinities, bias 15. */
export function float8E5M2ToNumber(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exponent = (byte >> 2) & 0x1f;
  const mantissa = byte & 0x03;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -16;
  return sign * (1 + mantissa / 4) * 2 ** (exponent - 15);
}
