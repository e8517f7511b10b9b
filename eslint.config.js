import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp-*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // One way into a Slack message: only src/render/slack-limits.ts makes Mrkdwn from raw text.
    files: ['src/**/*.ts', 'jobs/**/*.ts'],
    ignores: ['src/render/slack-limits.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='Mrkdwn'][property.name='of']", message: 'Build mrkdwn with md`…`, escapeMrkdwn, inlineMrkdwn or mention (src/render/slack-limits.ts), not Mrkdwn.of.' },
        { selector: "TSAsExpression > TSTypeReference[typeName.name='Mrkdwn']", message: 'Do not cast to Mrkdwn: build it with md`…` or escapeMrkdwn.' },
      ],
    },
  },
);
