/**
 * The one classification of Slack Web API errors (src/slack/slack-errors.ts): the codes the
 * issue names, their class and the advice the user gets; unknown codes are never retried.
 */
import { describe, expect, it } from '@jest/globals';
import { UnrecoverableError } from 'bullmq';
import { blockTextLength, classifySlackError, findSlackCallError, SlackCallError, SLACK_ERRORS } from '../../src/slack/slack-errors.js';

describe('classifySlackError', () => {
  it.each([
    ['ratelimited', 'rate-limited'],
    ['internal_error', 'transient'],
    ['fatal_error', 'transient'],
    ['service_unavailable', 'transient'],
    ['request_timeout', 'transient'],
    ['invalid_blocks', 'reshape'],
    ['msg_too_long', 'reshape'],
    ['msg_blocks_too_long', 'reshape'],
    ['not_in_channel', 'permanent'],
    ['channel_not_found', 'permanent'],
    ['is_archived', 'permanent'],
    ['message_not_found', 'permanent'],
    ['invalid_auth', 'reauth'],
    ['token_revoked', 'reauth'],
    ['missing_scope', 'reauth'],
  ])('%s → %s', (code, cls) => {
    expect(classifySlackError(code).class).toBe(cls);
  });

  it('tells the user what to do: /invite for not_in_channel, reinstall for invalid_auth', () => {
    expect(classifySlackError('not_in_channel').action).toContain('/invite @podnet');
    expect(classifySlackError('invalid_auth').action).toContain('reinstall');
  });

  it('an unknown code is permanent (not retried blindly) and still names itself', () => {
    expect(classifySlackError('some_new_error')).toMatchObject({ class: 'permanent' });
    expect(classifySlackError('some_new_error').meaning).toContain('some_new_error');
  });

  it('every entry has a meaning and an action', () => {
    for (const [code, info] of Object.entries(SLACK_ERRORS)) {
      expect([code, info.meaning.length > 0, info.action.length > 0]).toEqual([code, true, true]);
    }
  });
});

describe('SlackCallError', () => {
  it("maps classes onto podnet's codes: transient → unavailable, reauth → forbidden, else bad-input", () => {
    expect(new SlackCallError({ method: 'chat.postMessage', slackCode: 'internal_error' }).code).toBe('unavailable');
    expect(new SlackCallError({ method: 'chat.postMessage', slackCode: 'invalid_auth' }).code).toBe('forbidden');
    expect(new SlackCallError({ method: 'chat.postMessage', slackCode: 'not_in_channel' }).code).toBe('bad-input');
  });

  it('is found through a cause chain (BullMQ wraps what the processor threw)', () => {
    const inner = new SlackCallError({ method: 'chat.update', slackCode: 'channel_not_found' });
    const wrapped = new UnrecoverableError('x');
    Object.defineProperty(wrapped, 'cause', { value: inner });
    expect(findSlackCallError(wrapped)).toBe(inner);
    expect(findSlackCallError(new Error('plain'))).toBeUndefined();
  });
});

it('blockTextLength sums every text string in a block tree', () => {
  const blocks = [
    { type: 'header', text: { type: 'plain_text', text: 'abc' } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: 'de' }, { type: 'mrkdwn', text: 'f' }] },
    { type: 'divider' },
  ];
  expect(blockTextLength(blocks)).toBe(6);
});
