import { describe, expect, test } from '@jest/globals';
import { blocksToText, indent, mrkdwnToText } from '../../src/bin/demo-transcript.js';

describe('mrkdwnToText', () => {
  test('drops bold stars, keeps code, maps known emoji, decodes entities and links', () => {
    expect(mrkdwnToText('*Most likely cause:* `probe-bind-mismatch` — *88%* confidence')).toBe('Most likely cause: `probe-bind-mismatch` — 88% confidence');
    expect(mrkdwnToText(':white_check_mark: `get-pod` :unknown_emoji:')).toBe('✅ `get-pod` :unknown_emoji:');
    expect(mrkdwnToText('a &lt;b&gt; &amp; <https://k8s.io/docs|the docs> <#C123|ml-oncall>')).toBe('a <b> & the docs (https://k8s.io/docs) ml-oncall');
    expect(mrkdwnToText('x * y * z')).toBe('x * y * z');
  });
});

describe('blocksToText', () => {
  test('renders header, section, fields, context, divider and actions as plain lines', () => {
    const text = blocksToText([
      { type: 'header', text: { type: 'plain_text', text: 'podnet: mlserver-0' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Fix:* bind 0.0.0.0' }, fields: [{ type: 'mrkdwn', text: 'a' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '13/13 steps ok' }] },
      { type: 'divider' },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Re-run' } }] },
      { type: 'video' },
    ]);
    expect(text.split('\n')).toEqual(['podnet: mlserver-0', '═'.repeat(18), 'Fix: bind 0.0.0.0', '  a', '  · 13/13 steps ok', '─'.repeat(40), '[ Re-run ]', '[video]']);
  });

  test('falls back to the message text when there are no blocks', () => {
    expect(blocksToText(undefined, ':x: *failed*')).toBe('❌ failed');
    expect(indent('a\n\nb', '> ')).toBe('> a\n\n> b');
  });
});
