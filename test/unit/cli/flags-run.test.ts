// The words of `run` and `containers create`: where the container's own
// words start (insertDashDash), IMAGE ID [CMD…] (positionalsOf), and labels
// (parseLabels), with hostile input: flags that look like values, values that
// look like flags, a `--` of the user's, empty and prototype keys.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { insertDashDash, positionalsOf, type ContainerArgs } from '../../../src/cli/flags-run.js';
import { parseLabels } from '../../../src/cli/flags.js';
import { InvalidArgumentError } from '../../../src/errors.js';

const split = (argv: string[]) => insertDashDash(argv, 1);

test('-- goes before the image; the container\'s flags stay its own', () => {
  assert.equal(split(['run', '-t', '--rm', 'busybox', 'c1', 'sh', '-c', 'echo --rm']), ['run', '-t', '--rm', '--', 'busybox', 'c1', 'sh', '-c', 'echo --rm']);
  // A value that looks like a word is the option's, not the image.
  assert.equal(split(['create', '--env', 'A=1', '-u', 'nobody', '--label', 'k=v', 'img', 'id']), ['create', '--env', 'A=1', '-u', 'nobody', '--label', 'k=v', '--', 'img', 'id']);
  // A value that looks like a flag is still the option's value.
  assert.equal(split(['run', '--hostname', '-x', 'img', 'id']), ['run', '--hostname', '-x', '--', 'img', 'id']);
  // The user's own -- is kept as it is; nothing is inserted twice.
  assert.equal(split(['run', '--', 'img', 'id', '--', 'x']), ['run', '--', 'img', 'id', '--', 'x']);
  // Nothing but flags: nothing to split.
  assert.equal(split(['run', '-t', '--rm']), ['run', '-t', '--rm']);
  // A value option at the very end (its value missing) does not run past the end.
  assert.equal(split(['run', '--env']), ['run', '--env']);
});

const args = (words: string[], rootfs?: string) => ({ '--': words, rootfs } as unknown as ContainerArgs);

test('IMAGE ID [CMD…]; --rootfs: ID [CMD…]; a missing image or id is one line with a hint', () => {
  assert.equal(positionalsOf(args(['img', 'c1', 'sh', '-c', 'x']), 'u'), { image: 'img', id: 'c1', cmd: ['sh', '-c', 'x'] });
  assert.equal(positionalsOf(args(['c1', 'true'], '/srv/root'), 'u'), { image: undefined, id: 'c1', cmd: ['true'] });
  assert.throws(() => positionalsOf(args([]), 'u'), (e: unknown) => e instanceof InvalidArgumentError && /name an image and a container id/.test((e as Error).message));
  assert.throws(() => positionalsOf(args(['img']), 'u'), (e: unknown) => e instanceof InvalidArgumentError && /name a container id after the image/.test((e as Error).message));
  assert.throws(() => positionalsOf(args([], '/r'), 'u'), /name a container id/);
  // Numbers stay strings (yargs may hand numbers): the id "1" is a word.
  assert.equal(positionalsOf(args([7 as unknown as string, 1 as unknown as string]), 'u'), { image: '7', id: '1', cmd: [] });
});

test('labels: key=value, key= (removal), and what is refused', () => {
  assert.equal(parseLabels(['a=1', 'b=', 'c=x=y', 'd= spaced ']), { a: '1', b: '', c: 'x=y', d: ' spaced ' });
  for (const bad of ['novalue', '=v', '', '=']) assert.throws(() => parseLabels([bad]), (e: unknown) => e instanceof InvalidArgumentError && /invalid label/.test((e as Error).message), bad);
  assert.throws(() => parseLabels(['__proto__=x']), /invalid label key "__proto__"/);
  const l = parseLabels(['constructor=1', 'toString=2']);
  assert.equal(Object.keys(l).sort(), ['constructor', 'toString'], 'own keys, whatever their name');
});

test.run();
