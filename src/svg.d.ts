// SVG files are bundled as strings (webpack's asset/source; a raw loader under jest).
declare module '*.svg' {
  const value: string;
  export default value;
}
