/**
 * A minimal protocol-buffers wire-format decoder: enough to walk ONNX messages field by field without a
 * schema compiler. Each message is read into `field number -> values`; the ONNX layer picks fields.
 */

/** One field occurrence: varints as bigint, fixed32/64 and length-delimited fields as bytes. */
export type WireValue = { wireType: 0; varint: bigint } | { wireType: 1 | 5; bytes: Uint8Array } | { wireType: 2; bytes: Uint8Array };

/** Raised for malformed wire data; the ONNX reader turns it into an AuditError naming the file. */
export class WireFormatError extends Error {}

/** Decodes one message's fields. Groups (wire types 3/4) are refused: ONNX never uses them. */
export function decodeMessage(bytes: Uint8Array): Map<number, WireValue[]> {
  const fields = new Map<number, WireValue[]>();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new WireFormatError('a varint runs past the end of the message (truncated)');
      const byte = bytes[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new WireFormatError('a varint is longer than 10 bytes');
    }
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || at + n > bytes.length) throw new WireFormatError(`a field of ${n} bytes runs past the end of the message (truncated)`);
    const slice = bytes.subarray(at, at + n);
    at += n;
    return slice;
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    let value: WireValue;
    switch (wireType) {
      case 0:
        value = { wireType: 0, varint: varint() };
        break;
      case 1:
        value = { wireType: 1, bytes: take(8) };
        break;
      case 2:
        value = { wireType: 2, bytes: take(Number(varint())) };
        break;
      case 5:
        value = { wireType: 5, bytes: take(4) };
        break;
      default:
        throw new WireFormatError(`field ${field} has wire type ${wireType}, which is not valid here`);
    }
    const list = fields.get(field);
    if (list) list.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

/** Typed access to one decoded message. */
export class ProtoMessage {
  private readonly fields: Map<number, WireValue[]>;

  constructor(bytes: Uint8Array) {
    this.fields = decodeMessage(bytes);
  }

  has(field: number): boolean {
    return this.fields.has(field);
  }

  /** Last occurrence of a signed 64-bit varint field (int64/int32 as protobuf encodes negatives). */
  int(field: number, fallback = 0): number {
    const values = this.fields.get(field);
    const last = values?.[values.length - 1];
    if (!last) return fallback;
    if (last.wireType !== 0) throw new WireFormatError(`field ${field} should be a varint`);
    return Number(BigInt.asIntN(64, last.varint));
  }

  string(field: number, fallback = ''): string {
    const bytes = this.bytes(field);
    return bytes ? new TextDecoder().decode(bytes) : fallback;
  }

  bytes(field: number): Uint8Array | undefined {
    const values = this.fields.get(field);
    const last = values?.[values.length - 1];
    if (!last) return undefined;
    if (last.wireType !== 2) throw new WireFormatError(`field ${field} should be length-delimited`);
    return last.bytes;
  }

  float(field: number, fallback = 0): number {
    const values = this.fields.get(field);
    const last = values?.[values.length - 1];
    if (!last) return fallback;
    if (last.wireType !== 5) throw new WireFormatError(`field ${field} should be a 32-bit float`);
    return new DataView(last.bytes.buffer, last.bytes.byteOffset, 4).getFloat32(0, true);
  }

  message(field: number): ProtoMessage | undefined {
    const bytes = this.bytes(field);
    return bytes ? new ProtoMessage(bytes) : undefined;
  }

  messages(field: number): ProtoMessage[] {
    return this.lengthDelimited(field).map((b) => new ProtoMessage(b));
  }

  strings(field: number): string[] {
    return this.lengthDelimited(field).map((b) => new TextDecoder().decode(b));
  }

  /** A repeated signed varint field, packed or not. */
  ints(field: number): number[] {
    const out: number[] = [];
    for (const value of this.fields.get(field) ?? []) {
      if (value.wireType === 0) out.push(Number(BigInt.asIntN(64, value.varint)));
      else if (value.wireType === 2) for (const v of packedVarints(value.bytes)) out.push(Number(BigInt.asIntN(64, v)));
      else throw new WireFormatError(`field ${field} should hold varints`);
    }
    return out;
  }

  /** A repeated float (fixed32) field, packed or not. */
  floats(field: number): number[] {
    return this.fixed(field, 4, (view, at) => view.getFloat32(at, true));
  }

  /** A repeated float field as a Float32Array (large initialisers stored as float_data). */
  floatArray(field: number): Float32Array {
    const values = this.fields.get(field) ?? [];
    let total = 0;
    for (const value of values) {
      if (value.wireType === 0 || value.bytes.length % 4 !== 0) throw new WireFormatError(`field ${field} should hold 32-bit floats`);
      total += value.bytes.length / 4;
    }
    const out = new Float32Array(total);
    let at = 0;
    for (const value of values) {
      if (value.wireType === 0) continue; // refused above
      const view = new DataView(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength);
      for (let b = 0; b < value.bytes.length; b += 4) out[at++] = view.getFloat32(b, true);
    }
    return out;
  }

  /** A repeated double (fixed64) field, packed or not. */
  doubles(field: number): number[] {
    return this.fixed(field, 8, (view, at) => view.getFloat64(at, true));
  }

  private fixed(field: number, size: number, read: (view: DataView, at: number) => number): number[] {
    const out: number[] = [];
    for (const value of this.fields.get(field) ?? []) {
      if (value.wireType === 0) throw new WireFormatError(`field ${field} should hold ${size * 8}-bit values`);
      if (value.bytes.length % size !== 0) throw new WireFormatError(`field ${field} has ${value.bytes.length} bytes, not a multiple of ${size}`);
      const view = new DataView(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength);
      for (let at = 0; at < value.bytes.length; at += size) out.push(read(view, at));
    }
    return out;
  }

  private lengthDelimited(field: number): Uint8Array[] {
    return (this.fields.get(field) ?? []).map((value) => {
      if (value.wireType !== 2) throw new WireFormatError(`field ${field} should be length-delimited`);
      return value.bytes;
    });
  }
}

function* packedVarints(bytes: Uint8Array): Generator<bigint> {
  let at = 0;
  while (at < bytes.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new WireFormatError('a packed varint runs past its field (truncated)');
      const byte = bytes[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new WireFormatError('a varint is longer than 10 bytes');
    }
    yield result;
  }
}
