// Copies GraphiQL and React's browser bundles into dist/graphiql, so toex serves GraphiQL
// from its own origin (force networks often have no internet access).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'graphiql');
mkdirSync(out, { recursive: true });
const files = [
  ['graphiql/graphiql.min.js', 'graphiql.min.js'],
  ['graphiql/graphiql.min.css', 'graphiql.min.css'],
  ['react/umd/react.production.min.js', 'react.production.min.js'],
  ['react-dom/umd/react-dom.production.min.js', 'react-dom.production.min.js'],
];
for (const [from, to] of files) {
  copyFileSync(join(root, 'node_modules', from), join(out, to));
}
console.log(`GraphiQL assets in ${out}`);
