import { ApiException } from '@kubernetes/client-node';
import { HttpStatusError, RequestTimeoutError, forbiddenMessage, parseRetryAfter, toPodnetError } from '../../src/cluster/errors.js';

const execReq = { verb: 'create', resource: 'pods/exec', namespace: 'financial-ml', name: 'mlserver-0' };

function status(code: number, message: string, reason: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
}

describe('toPodnetError', () => {
  it('403 names the verb and resource the API server refused and the RBAC manifest', () => {
    const body = status(
      403,
      'pods "mlserver-0" is forbidden: User "system:serviceaccount:podnet:podnet" cannot create resource "pods/exec" in API group "" in the namespace "financial-ml"',
      'Forbidden',
    );
    const e = toPodnetError(new ApiException(403, 'Forbidden', body, {}), execReq);
    expect(e.code).toBe('forbidden');
    expect(e.message).toBe(
      'forbidden: cannot create pods/exec in namespace financial-ml — add it to the podnet ClusterRole (deploy/base/worker-rbac.yaml)',
    );
  });

  it('403 without a parsable Status falls back to the request description', () => {
    const e = toPodnetError(new HttpStatusError(403, 'nope'), { verb: 'get', resource: 'nodes', name: 'k3s-1' });
    expect(e.message).toBe('forbidden: cannot get nodes at cluster scope — add it to the podnet ClusterRole (deploy/base/worker-rbac.yaml)');
    expect(forbiddenMessage({ verb: 'list', resource: 'events', namespace: 'a' })).toMatch(/cannot list events in namespace a/);
  });

  it('404 names what is missing', () => {
    const e = toPodnetError(new ApiException(404, 'Not Found', status(404, 'pods "mlserver-9" not found', 'NotFound'), {}), {
      verb: 'get',
      resource: 'pods',
      namespace: 'financial-ml',
      name: 'mlserver-9',
    });
    expect(e.code).toBe('not-found');
    expect(e.message).toBe('pod financial-ml/mlserver-9 not found');
    expect(e.permanent).toBe(true);
  });

  it('5xx is a transient server-error carrying the Status message', () => {
    const e = toPodnetError(new HttpStatusError(500, status(500, 'etcd is sad', 'InternalError')), execReq);
    expect(e.code).toBe('server-error');
    expect(e.message).toContain('etcd is sad');
    expect(e.permanent).toBe(false);
  });

  it('429 keeps Retry-After', () => {
    const e = toPodnetError(new HttpStatusError(429, '', { 'retry-after': '2' }), execReq);
    expect(e.code).toBe('rate-limited');
    expect(e.detail?.retryAfterMs).toBe(2000);
  });

  it('timeouts and aborts become timeout', () => {
    expect(toPodnetError(new RequestTimeoutError(5000), execReq).code).toBe('timeout');
    const abort = new Error('The user aborted a request.');
    abort.name = 'AbortError';
    expect(toPodnetError(abort, execReq).code).toBe('timeout');
  });

  it('connection refused says which URL cannot be reached', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const e = toPodnetError(err, execReq, 'https://127.0.0.1:1');
    expect(e.code).toBe('unavailable');
    expect(e.message).toBe('cannot reach the Kubernetes API at https://127.0.0.1:1 (ECONNREFUSED)');
    // node-fetch wraps the socket error in a FetchError with the code on it too; undici in `cause`.
    const wrapped = Object.assign(new Error('fetch failed'), { cause: err });
    expect(toPodnetError(wrapped, execReq, 'u').code).toBe('unavailable');
  });

  it('400 is permanent bad input with the Status message (e.g. no previous container)', () => {
    const e = toPodnetError(
      new HttpStatusError(400, status(400, 'previous terminated container "agent" in pod "mlserver-0" not found', 'BadRequest')),
      { verb: 'get', resource: 'pods/log', namespace: 'financial-ml', name: 'mlserver-0' },
    );
    expect(e.code).toBe('bad-input');
    expect(e.message).toContain('previous terminated container');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
