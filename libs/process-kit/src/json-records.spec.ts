import { PassThrough } from 'node:stream';
import { onJsonRecords } from './json-records';

describe('onJsonRecords', () => {
  it('when records arrive split across chunks, each JSON object line is reported once and other lines are skipped', () => {
    const stream = new PassThrough();
    const seen: Array<Record<string, unknown>> = [];
    onJsonRecords(stream, (r) => seen.push(r));
    const text = '{"msg":"listening","port":1}\nnot json\n[1,2]\n{"msg":"café ☕"}\n{"msg":"unfinished"';
    const bytes = Buffer.from(text);
    // Split inside the multi-byte characters too.
    for (let i = 0; i < bytes.length; i += 3) stream.write(bytes.subarray(i, i + 3));
    expect(seen).toEqual([{ msg: 'listening', port: 1 }, { msg: 'café ☕' }]);
  });
});
