/**
 * Real-looking log lines for the log-scan tests: for each signature, lines that must match
 * (with the captures expected), and ordinary lines that must match nothing. The seed
 * incident's lines (../shared/seed/k3s-intra-pod-findings.md) are among them.
 */
import type { SignatureId } from '../../src/evidence.js';

export interface PositiveLine {
  line: string;
  /** Every signature the line must match (exactly this set). */
  ids: SignatureId[];
  /** Captures expected on the first id's match (subset check). */
  groups?: Record<string, string>;
}

export const POSITIVE: PositiveLine[] = [
  // client-refused
  { line: 'dial tcp 127.0.0.1:9500: connect: connection refused', ids: ['client-refused'], groups: { host: '127.0.0.1', port: '9500' } },
  {
    line: 'time="2025-07-06T15:19:24Z" level=error msg="rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial tcp 127.0.0.1:9500: connect: connection refused\\""',
    ids: ['client-refused'],
    groups: { host: '127.0.0.1', port: '9500' },
  },
  { line: 'dial tcp [::1]:9500: connect: connection refused', ids: ['client-refused'], groups: { host: '[::1]', port: '9500' } },
  {
    line: 'grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with: status = StatusCode.UNAVAILABLE details = "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:9500: Failed to connect to remote host: Connection refused"',
    ids: ['client-refused'],
    groups: { host: '127.0.0.1', port: '9500' },
  },
  {
    line: 'failed to connect to all addresses; last error: UNKNOWN: ipv6:[::1]:9500: Failed to connect to remote host: Connection refused',
    ids: ['client-refused'],
    groups: { host: '[::1]', port: '9500' },
  },
  { line: "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 9000)", ids: ['client-refused'], groups: { host: '127.0.0.1', port: '9000' } },
  { line: 'curl: (7) Failed to connect to localhost port 9000 after 0 ms: Connection refused', ids: ['client-refused'], groups: { host: 'localhost', port: '9000' } },
  { line: 'Error: connect ECONNREFUSED 127.0.0.1:8080', ids: ['client-refused'], groups: { host: '127.0.0.1', port: '8080' } },
  { line: 'requests.exceptions.ConnectionError: [Errno 111] Connection refused', ids: ['client-refused'] },
  // seed: waiting + a generic refusal in one line
  {
    line: 'time="2025-07-06T15:17:51Z" level=info msg="Waiting for Inference Server service to become ready... connection refused"',
    ids: ['agent-waiting', 'client-refused'],
  },
  // seed scenario: the agent's refusal with the gRPC error attached (the address is captured)
  {
    line: 'time="2025-07-06T15:19:24Z" level=info msg="Waiting for Inference Server service to become ready... connection refused" Source=Client error="rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial tcp 127.0.0.1:9500: connect: connection refused\\""',
    ids: ['client-refused', 'agent-waiting'],
    groups: { host: '127.0.0.1', port: '9500' },
  },
  {
    line: 'time="2025-07-06T15:18:51Z" level=warning msg="Waiting for Inference Server service to become ready... next check in 1.5s" Name=InferenceServer',
    ids: ['agent-waiting'],
    groups: { next: '1.5s' },
  },
  {
    line: 'time="2025-07-06T15:21:00Z" level=error msg="Giving up on waiting for Inference Server service to become ready; service marked as failed"',
    ids: ['agent-gave-up'],
  },
  { line: 'time="2025-07-06T15:17:53Z" level=info msg="All critical agent subservices ready"', ids: ['agent-ready'] },
  { line: 'time="2025-07-06T15:17:53Z" level=info msg="All critical agent subservices ready."', ids: ['agent-ready'] },
  { line: 'time="2024-01-02T10:00:00Z" level=warning msg="Inference server not ready" Name=Client', ids: ['agent-not-ready-legacy'] },
  {
    line: 'time="2025-07-06T15:17:42Z" level=info msg="Setting inference-host from SELDON_SERVER_HOST to 127.0.0.1"',
    ids: ['agent-inference-host'],
    groups: { source: 'SELDON_SERVER_HOST', host: '127.0.0.1' },
  },
  {
    line: '2025-07-06 15:17:44,102 [mlserver.rest] INFO - HTTP server running on http://0.0.0.0:9000',
    ids: ['server-http-running'],
    groups: { url: 'http://0.0.0.0:9000', host: '0.0.0.0', port: '9000' },
  },
  { line: 'INFO:     Uvicorn running on http://127.0.0.1:8080 (Press CTRL+C to quit)', ids: ['server-http-running'], groups: { host: '127.0.0.1', port: '8080' } },
  {
    line: '2025-07-06 15:17:44,110 [mlserver.grpc] INFO - gRPC server running on http://127.0.0.1:9500',
    ids: ['server-grpc-running'],
    groups: { host: '127.0.0.1', port: '9500' },
  },
  { line: 'INFO gRPC server running on http://[::1]:9500', ids: ['server-grpc-running'], groups: { host: '[::1]', port: '9500' } },
  { line: "2025-07-06 15:17:50,003 [mlserver] INFO - Loaded model 'fraud-detector' successfully.", ids: ['model-loaded'], groups: { model: 'fraud-detector' } },
  {
    line: '2025-07-06 15:19:20,551 [mlserver.parallel] WARNING - Worker with PID 87 on default inference pool stopped unexpectedly with exit code 137. Restarting...',
    ids: ['worker-stopped'],
    groups: { pid: '87', pool: 'default inference pool', code: '137' },
  },
  {
    line: 'ERROR:    [Errno 98] error while attempting to bind on address (\'0.0.0.0\', 9000): address already in use',
    ids: ['bind-error'],
    groups: { host: '0.0.0.0', port: '9000' },
  },
  { line: 'listen tcp 127.0.0.1:9500: bind: address already in use', ids: ['bind-error'], groups: { host: '127.0.0.1', port: '9500' } },
  { line: 'E0706 15:17:44.000000 1 server.go:88] Failed to bind gRPC port 9500', ids: ['bind-error'] },
  { line: 'OSError: [Errno 98] Address already in use', ids: ['bind-error'] },
  { line: 'Traceback (most recent call last):', ids: ['traceback'] },
  { line: 'panic: runtime error: invalid memory address or nil pointer dereference', ids: ['traceback'] },
  { line: 'goroutine 1 [running]:', ids: ['traceback'], groups: { goroutine: '1' } },
  { line: 'fatal error: runtime: out of memory', ids: ['oom'] },
  { line: 'MemoryError', ids: ['oom'] },
  { line: 'torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB', ids: ['oom'] },
  { line: 'Out of memory: Killed process 4242 (mlserver) total-vm:9000000kB', ids: ['oom'], groups: { pid: '4242' } },
  { line: 'Last State: Terminated Reason: OOMKilled Exit Code: 137', ids: ['oom'] },
  {
    line: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111',
    ids: ['mesh-proxy'],
    groups: { reason: 'connection failure' },
  },
  { line: '[2025-07-06T15:20:00.000Z] "POST /v2/models/x/infer HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" no healthy upstream', ids: ['mesh-proxy'] },
];

/** Ordinary lines (the kind that make up 99.5% of a log) that must match nothing. */
export const NEGATIVE: string[] = [
  'time="2025-07-06T15:17:53Z" level=info msg="Subscribed to scheduler"',
  'time="2025-07-06T15:17:53Z" level=info msg="Ready to serve" Name=Agent',
  '2025-07-06 15:17:44,100 [mlserver] INFO - Using asyncio event-loop policy: uvloop',
  '2025-07-06 15:17:45,020 [mlserver.metrics] INFO - Metrics server running on http://0.0.0.0:8082',
  '2025-07-06 15:18:02,000 [mlserver] INFO - POST /v2/models/fraud-detector/infer 200 12.3ms',
  "2025-07-06 15:17:49,000 [mlserver] INFO - Loading model 'fraud-detector'",
  'I0706 15:17:40.000000       1 main.go:42] Starting seldon agent version 2.9.1 on 10.42.1.17:9001',
  'time="2025-07-06T15:17:43Z" level=info msg="Inference server is ready" Name=Client',
  'time="2025-07-06T15:17:43Z" level=debug msg="Refreshing token cache" tokens=3',
  '10.42.0.1 - - [06/Jul/2025:15:17:50 +0000] "GET /v2/health/live HTTP/1.1" 200 2 "-" "kube-probe/1.32"',
  'goroutine 7 [chan receive]:',
  '2025-07-06 15:19:00,000 [mlserver.parallel] INFO - Worker with PID 88 on default inference pool started',
  '{"level":"info","ts":1751815071.1,"msg":"memory usage","rss_mb":512,"limit_mb":2048}',
];
