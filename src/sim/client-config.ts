/**
 * A client-node KubeConfig pointed at a simulator, built in memory the way callers build one.
 * Shared by the tests (test/helpers/sim-client.ts) and the benchmarks (bench/simlog.bench.ts).
 */
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A KubeConfig whose one context reaches the simulator at `url` (e.g. `http://127.0.0.1:PORT`).
 * `skipTLSVerify` is set because client-node refuses a plain-http server without it; the token
 * is a placeholder (the simulator does not check tokens).
 */
export function simKubeConfig(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'u' }],
    currentContext: 'sim',
  });
  return kc;
}
