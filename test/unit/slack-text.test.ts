import { checkBlocks } from '../../src/render/block-limits.js';
import { escapeSlackText, unescapeSlackText } from '../../src/slack/text.js';
import { signSlackRequest, slashCommandBody } from '../../src/slack/testing.js';

describe('unescapeSlackText', () => {
  it.each([
    ['check mlserver-0', 'check mlserver-0'],
    ['logs p --grep a&amp;b', 'logs p --grep a&b'],
    ['--grep &lt;x&gt;', '--grep <x>'],
    ['check <http://mlserver-0.svc|mlserver-0.svc>', 'check mlserver-0.svc'],
    ['open <#C012|ops> by <@U34|bob>', 'open #ops by @bob'],
    ['see <https://example.com>', 'see https://example.com'],
    ['mail <mailto:a@b.c|a@b.c>', 'mail a@b.c'],
    ['&amp;lt;', '&lt;'],
  ])('%s -> %s', (input, out) => {
    expect(unescapeSlackText(input)).toBe(out);
  });
  it('escapes what it unescapes', () => {
    expect(escapeSlackText('<@U1> & <!here>')).toBe('&lt;@U1&gt; &amp; &lt;!here&gt;');
  });
});

describe('checkBlocks', () => {
  it('accepts valid blocks and refuses non-arrays', () => {
    expect(checkBlocks([{ type: 'header', text: { type: 'plain_text', text: 'x' } }, { type: 'divider' }])).toEqual([]);
    expect(checkBlocks({})).toEqual(['must be an array [json-pointer:/blocks]']);
  });
  it('counts 50 blocks as fine and 51 as too many', () => {
    expect(checkBlocks(Array.from({ length: 50 }, () => ({ type: 'divider' })))).toEqual([]);
    expect(checkBlocks(Array.from({ length: 51 }, () => ({ type: 'divider' })))).toEqual(['must be less than 51 items [json-pointer:/blocks]']);
  });
  it('refuses empty text and mrkdwn headers', () => {
    expect(checkBlocks([{ type: 'section', text: { type: 'mrkdwn', text: '' } }])).toEqual(['must be more than 0 characters [json-pointer:/blocks/0/text/text]']);
    expect(checkBlocks([{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }])).toEqual(['must be plain_text [json-pointer:/blocks/0/text/type]']);
  });
});

describe('signing helpers', () => {
  it("computes Slack's documented v0 signature", () => {
    // Example from Slack's "Verifying requests from Slack" documentation.
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', body, 1531420618)).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });
  it('builds a slash command body with the fields Bolt reads', () => {
    const form = new URLSearchParams(slashCommandBody({ text: 'check p', channel: 'C9', user: 'U9' }));
    expect(form.get('command')).toBe('/podnet');
    expect(form.get('text')).toBe('check p');
    expect(form.get('channel_id')).toBe('C9');
    expect(form.get('user_id')).toBe('U9');
    expect(form.get('response_url')).toMatch(/^https:/);
  });
});
