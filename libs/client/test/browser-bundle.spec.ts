import { buildSync } from 'esbuild';
import { join } from 'node:path';

describe('the browser bundle', () => {
  it('when the client is bundled for browsers (as the web console does), it builds without Node modules', () => {
    const result = buildSync({
      entryPoints: [join(__dirname, '..', 'src', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).toMatch(/export \{[^}]*\bMeshClient\b/);
    expect(code).not.toMatch(/require\(|from "node:|process\.env|Buffer\./);
  });
});
