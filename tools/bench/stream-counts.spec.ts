import { entriesAddedOf } from './stream-counts';

describe('entriesAddedOf', () => {
  it('when XINFO STREAM names entries-added, that count is returned, not the length', () => {
    const reply = ['length', 3, 'radix-tree-keys', 1, 'last-generated-id', '1-0', 'entries-added', 1250, 'groups', 2];
    expect(entriesAddedOf(reply)).toBe(1250);
  });

  it('when the reply has no entries-added (Redis before 7), it is null', () => {
    expect(entriesAddedOf(['length', 3, 'groups', 0])).toBeNull();
  });
});
