/**
 * Finds kubectl and helm for the deploy/ tests and picks `describe` or `describe.skip` for the
 * suites that need them, warning once for each missing tool. CI installs both when missing
 * (.ci/run); elsewhere the suites that need an absent tool are skipped.
 */
import { describe } from '@jest/globals';
import { helmVersion, kustomizeVersion } from './deploy-render.js';

/** What a deploy/ test file says about itself, for the skip warnings. */
export interface DeployToolsOptions {
  /** The test file's short name, leading each warning (e.g. `deploy-rbac`). */
  suite: string;
  /** The tests skipped without kubectl; no kubectl warning when absent. Default: none. */
  kubectlTests?: string;
  /** The tests skipped without helm; helm is looked for only when this is set. Default: none. */
  helmTests?: string;
}

/** The tools found and the `describe` each kind of suite should use. */
export interface DeployTools {
  /** kubectl's embedded kustomize version, or undefined when kubectl is not installed. */
  kustomize: string | undefined;
  /** helm's version, or undefined when helm is not installed (or `helmTests` was not given). */
  helm: string | undefined;
  /** `describe` when kubectl is installed, else `describe.skip`. */
  describeKubectl: typeof describe;
  /** `describe` when both kubectl and helm are installed, else `describe.skip`. */
  describeHelm: typeof describe;
}

/** Looks for kubectl (and helm when asked), warning for each missing tool the file needs. */
export async function deployTools(options: DeployToolsOptions): Promise<DeployTools> {
  const kustomize = await kustomizeVersion();
  const helm = options.helmTests === undefined ? undefined : await helmVersion();
  if (kustomize === undefined && options.kubectlTests !== undefined) {
    console.warn(`${options.suite}: kubectl not found; ${options.kubectlTests} skipped (install kubectl >= 1.24)`);
  }
  if (helm === undefined && options.helmTests !== undefined) {
    console.warn(`${options.suite}: helm not found; ${options.helmTests} skipped (.ci/run installs it)`);
  }
  const skipUnless = (ok: boolean): typeof describe => (ok ? describe : (describe.skip as typeof describe));
  return {
    kustomize,
    helm,
    describeKubectl: skipUnless(kustomize !== undefined),
    describeHelm: skipUnless(kustomize !== undefined && helm !== undefined),
  };
}
