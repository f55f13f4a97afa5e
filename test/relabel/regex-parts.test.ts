/**
 * The multi-source memo answers as the joined value would: parts that join to the same text
 * (a separator inside a value) agree, a repeat comes from the memo, and a new separator or count
 * of parts starts a new memo rather than reading the old one.
 */
import t from 'tap';
import { RelabelRegex } from '../../src/relabel/regex.ts';

t.test('matchesParts agrees with matching the joined value', (t) => {
  const patterns = ['a;b;c', 'kube-system;coredns-.*', '.*;x', '(?i)A;.*', 'a|b;c', ';'];
  const values = ['a', 'b', 'c', 'a;b', 'b;c', '', 'x', 'kube-system', 'coredns-1', 'A'];
  const separators = [';', '', '--'];
  const wrong: string[] = [];
  let checked = 0;
  for (const pattern of patterns) {
    const truth = new RelabelRegex(pattern);
    for (const sep of separators) {
      // One memo per count of parts, read twice: the second round's answers come from it.
      for (const shape of [2, 3]) {
        const memoised = new RelabelRegex(pattern);
        for (let round = 0; round < 2; round++) {
          for (const a of values) {
            for (const b of values) {
              for (const c of shape === 2 ? [undefined] : ['c', '', ';']) {
                const parts = c === undefined ? [a, b] : [a, b, c];
                checked++;
                if (memoised.matchesParts(parts, sep) !== truth.matches(parts.join(sep))) {
                  wrong.push(`${pattern} on ${JSON.stringify(parts)} joined by '${sep}', round ${round}`);
                }
              }
            }
          }
        }
      }
    }
  }
  t.equal(checked, 14_400);
  t.same(wrong, [], "every answer equals the joined value's");
  t.end();
});
