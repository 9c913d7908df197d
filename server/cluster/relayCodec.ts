// The relay's messages as text for Redis pub/sub: JSON, with binary values (file transfer bytes) as tagged base64, so they arrive as bytes again.

export const RelayBinary = {
  /**
   * The one key of an object that stands for bytes; its value is them in base64 (4 characters per 3 bytes, where
   * JSON's own form of a Buffer, an array of numbers, takes about 3.6 characters per byte).
   */
  Tag: '$bytes',
} as const;

type Tagged = { [RelayBinary.Tag]: string };

function isTagged(value: unknown): value is Tagged {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === RelayBinary.Tag && typeof (value as Tagged)[RelayBinary.Tag] === 'string';
}

function base64(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof ArrayBuffer ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.toString('base64');
}

/** A relayed message as JSON; every Uint8Array (Buffer included) and ArrayBuffer in it, at any depth, becomes a tagged base64 string. */
export function encodeRelayMessage(message: unknown): string {
  return JSON.stringify(message, function (this: Record<string, unknown>, key: string, value: unknown) {
    // The holder's own value: by now JSON.stringify has turned a Buffer into its toJSON form (`value`), not bytes.
    const original = this[key];
    if (original instanceof Uint8Array || original instanceof ArrayBuffer) return { [RelayBinary.Tag]: base64(original) } satisfies Tagged;
    return value;
  });
}

/**
 * The message again, bytes as Node Buffers: what socket.io hands a handler for a local member's binary, so the owner's
 * checks see the same types either way. A client may itself send an object of the tagged shape: it then arrives as
 * the bytes it names, which that client could have sent as bytes in the first place, so no check treats it otherwise.
 */
export function decodeRelayMessage(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => (isTagged(value) ? Buffer.from(value[RelayBinary.Tag], 'base64') : value));
}
