// Lua scripts are imported as text: esbuild's `--loader:.lua=text` in the build, jest.text-transform.cjs in tests.
declare module '*.lua' {
  const source: string;
  export default source;
}
