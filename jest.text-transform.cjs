// Jest transform for text assets (the Lua scripts of libs/run-state): the module's value is the file's text,
// as esbuild's `--loader:.lua=text` makes it in the built apps.
module.exports = {
  process(source) {
    return { code: `module.exports = ${JSON.stringify(source)};` };
  },
};
