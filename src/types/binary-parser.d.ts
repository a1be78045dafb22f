// binary-parser's package.json exports hide its .d.ts from NodeNext resolution; point at it.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
