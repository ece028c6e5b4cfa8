/** How many hash slots a Redis Cluster has. */
export const CLUSTER_SLOTS = 16384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** CRC16 (XMODEM), the checksum Redis Cluster hashes keys with, over the UTF-8 bytes of `text`. */
export function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, 'utf8'))
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/**
 * The hash slot of `key`, as Redis Cluster computes it (CLUSTER KEYSLOT): the CRC16 of the key's hash tag
 * (what lies between the first `{` and the next `}`, when that is not empty) or of the whole key, mod 16384.
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % CLUSTER_SLOTS;
  }
  return crc16(key) % CLUSTER_SLOTS;
}

/**
 * A hash tag for partition `index` of `count` whose slot lies in the index-th of `count` equal ranges of the
 * slots. A cluster made by `redis-cli --cluster create` gives each master an equal, contiguous range, so
 * partitions tagged this way spread over the masters as evenly as their number allows. Deterministic: every
 * service computes the same tags.
 */
export function partitionTag(index: number, count: number): string {
  const from = Math.floor((index * CLUSTER_SLOTS) / count);
  const to = Math.floor(((index + 1) * CLUSTER_SLOTS) / count);
  for (let k = 0; ; k++) {
    const tag = `p${index}.${k}`;
    const slot = crc16(tag) % CLUSTER_SLOTS;
    if (slot >= from && slot < to) return tag;
  }
}
