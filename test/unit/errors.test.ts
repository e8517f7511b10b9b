import { BadInputError, PodnetError, describeError, isPermanent } from '../../src/errors.js';

describe('errors', () => {
  it('treats forbidden and not-found as permanent, timeouts as transient', () => {
    expect(isPermanent(new PodnetError('forbidden', 'no'))).toBe(true);
    expect(isPermanent(new PodnetError('not-found', 'no'))).toBe(true);
    expect(isPermanent(new PodnetError('timeout', 'slow'))).toBe(false);
    expect(isPermanent(new Error('plain'))).toBe(false);
  });

  it('describes errors in one line', () => {
    expect(describeError(new BadInputError('bad name "X_1"\nmore'))).toBe('bad name "X_1"');
    expect(describeError('str')).toBe('str');
  });
});
