/**
 * The fast tier's TypeScript loader (`npm run test:fast`). tsx minifies whitespace, which folds each
 * module onto a few lines, so V8's coverage could not be mapped back to source lines and tap
 * reported 100 % of a few dozen statements. This loader has esbuild strip the types without
 * minifying, line for line, with an inline source map, so the coverage report is real.
 */
import { register } from 'node:module';

register('./ts-loader-hooks.mjs', import.meta.url);
