import { redactSecrets } from '../../src/logscan/redact.js';
import { NEGATIVE, POSITIVE } from '../helpers/logscan-corpus.js';

describe('redactSecrets masks secrets', () => {
  const cases: [string, string, string][] = [
    ['slack bot token', 'posting with xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp', 'posting with xoxb-[redacted]'],
    ['slack user token', 'token xoxp-11111-22222-33333-abcdef', 'token xoxp-[redacted]'],
    ['slack app token', 'socket mode xapp-1-A0123-456-abcdef0123', 'socket mode xapp-[redacted]'],
    ['bearer', 'Authorization: Bearer abc.DEF-ghi_jkl~123', 'Authorization: Bearer [redacted]'],
    ['basic in header', 'authorization=Basic dXNlcjpwYXNzd29yZA==', 'authorization=Basic [redacted]'],
    [
      'jwt',
      'sa token eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJl end',
      'sa token eyJ[redacted] end',
    ],
    ['aws key id', 'using AKIAIOSFODNN7EXAMPLE for s3', 'using AKIA[redacted] for s3'],
    ['aws secret env', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=[redacted]'],
    ['aws secret ini', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [redacted]'],
    ['github classic', 'cloning with ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789', 'cloning with ghp_[redacted]'],
    ['github oauth', 'gho_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 used', 'gho_[redacted] used'],
    ['password=', 'connecting db user=ml password=hunter2 host=db', 'connecting db user=ml password=[redacted] host=db'],
    ['passwd:', 'passwd: s3cr3t!', 'passwd: [redacted]'],
    ['secret=', 'secret=abc123&x=1', 'secret=[redacted]&x=1'],
    ['token=', 'GET /callback?token=abcdef123456 200', 'GET /callback?token=[redacted] 200'],
    ['token= holding a slack token', 'SLACK_BOT_TOKEN=xoxb-1234567890-abcdefghij next', 'SLACK_BOT_TOKEN=[redacted] next'],
    ['api_key=', 'api_key=sk-live-1234567890', 'api_key=[redacted]'],
    ['api-key flag', '--api-key=sk-live-1234567890 --verbose', '--api-key=[redacted] --verbose'],
    ['prefixed env', 'SLACK_SIGNING_SECRET=8f742231b10e8888abcd99yyyzzz85a5', 'SLACK_SIGNING_SECRET=[redacted]'],
    ['json password', '{"user": "ml", "password": "p@ss w0rd", "port": 5432}', '{"user": "ml", "password": "[redacted]", "port": 5432}'],
    ['python dict', "{'token': 'abc123', 'x': 1}", "{'token': '[redacted]', 'x': 1}"],
    ['logrus quoted', 'level=info msg="login" password="hunter2 two"', 'level=info msg="login" password="[redacted]"'],
    ['url creds', 'redis://default:hunter2@redis:6379/0', 'redis://default:[redacted]@redis:6379/0'],
    ['url no user', 'REDIS_URL=redis://:hunter2@10.0.0.5:6379', 'REDIS_URL=redis://:[redacted]@10.0.0.5:6379'],
    ['https url creds', 'pulling https://bot:glpat-xyz@gitlab.example.com/x.git', 'pulling https://bot:[redacted]@gitlab.example.com/x.git'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('masks a PEM private key block, keeping its kind', () => {
    const pem = ['key:', '-----BEGIN RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA1234', 'abcd==', '-----END RSA PRIVATE KEY-----', 'next line'].join('\n');
    const out = redactSecrets(pem);
    expect(out).toBe('key:\n-----BEGIN RSA PRIVATE KEY-----[redacted]-----END RSA PRIVATE KEY-----\nnext line');
    expect(redactSecrets('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg')).toBe('-----BEGIN PRIVATE KEY-----[redacted]-----END PRIVATE KEY-----');
  });

  it('is idempotent', () => {
    for (const [, input] of cases) expect(redactSecrets(redactSecrets(input))).toBe(redactSecrets(input));
  });
});

describe('redactSecrets leaves ordinary text alone', () => {
  const ordinary = [
    ...POSITIVE.map((p) => p.line),
    ...NEGATIVE,
    '2025-07-06T15:17:51.123456789Z time="2025-07-06T15:17:51Z" level=info msg="Waiting for Inference Server service to become ready... connection refused"',
    'dial tcp [::1]:9500: connect: connection refused',
    'HTTP server running on http://0.0.0.0:9000',
    'listening on 10.42.1.17:8080 and [fe80::1]:9090',
    'generated 512 tokens in 1.2s max_tokens=1024 num_tokens: 20',
    'tokenizer=bert-base-uncased secretName: mlserver-creds secretKeyRef missing',
    'image sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945 pulled',
    'request id 3fa85f64-5717-4562-b3fc-2c963f66afa6 done in 12ms',
    'The token bucket is empty; retrying in 2s',
    'https://github.com/SeldonIO/seldon-core/issues/5000',
  ];
  it.each(ordinary)('%s', (line) => {
    expect(redactSecrets(line)).toBe(line);
  });
});

describe('redactSecrets: the misses of issue 11 finding 3', () => {
  const cases: [string, string][] = [
    ['db_password is hunter2', 'db_password is [redacted]'],
    ['mysql --password hunter2 -h db', 'mysql --password [redacted] -h db'],
    ['mysql -uroot -phunter2 orders', 'mysql -uroot -p[redacted] orders'],
    ['pwd=hunter2', 'pwd=[redacted]'],
    ['pass=hunter2', 'pass=[redacted]'],
    ['posting to https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX', 'posting to https://hooks.slack.com/[redacted]'],
    ['key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789', 'key sk-proj-[redacted]'],
    ['glpat-abcdefghij0123456789', 'glpat-[redacted]'],
    ['AIzaSyA1234567890abcdefghijklmnopqrstuv', 'AIza[redacted]'],
    ['sk_live_51Habcdefghijklmnop', 'sk_live_[redacted]'],
    ['npm_abcdefghijklmnopqrstuvwxyz0123456789', 'npm_[redacted]'],
    ['hf_abcdefghijklmnopqrstuvwxyz0123456789', 'hf_[redacted]'],
    ['dckr_pat_abcdefghijklmnopqrstuvwxyz', 'dckr_pat_[redacted]'],
    ['SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789abcdefg', 'SG.[redacted]'],
    ['secret_key_base=deadbeef1234', 'secret_key_base=[redacted]'],
    ['Cookie: session=abc123', 'Cookie: [redacted]'],
    ['body=user%3Dml%26password%3Dhunter2', 'body=user%3Dml%26password%3D[redacted]'],
    ['{"token" => "v3ry"}', '{"token" => "[redacted]"}'],
    ['--auth=user:pw', '--auth=[redacted]'],
    ['--db-pass hunter2', '--db-pass [redacted]'],
    ['-p hunter2', '-p [redacted]'],
    ['--pass hunter2', '--pass [redacted]'],
    ['{\\"password\\": \\"hunter2\\"}', '{\\"password\\": \\"[redacted]\\"}'],
    ['q=calling%20ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789', 'q=calling%20ghp_[redacted]'],
  ];
  it.each(cases)('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
    expect(redactSecrets(expected)).toBe(expected);
  });

  it.each(['docker run -p 8080:80 nginx', 'nc -l -p 9500', 'mkdir -p /data', 'find . -path x -print', 'bypass=true', 'the password is incorrect'])('keeps %s', (line) => {
    expect(redactSecrets(line)).toBe(line);
  });
});
