/** Placeholder until `podnet logs` is built; says so plainly instead of failing obscurely. */
export async function main(_argv: string[]): Promise<number> {
  console.error('podnet logs: not yet available in this build.');
  return 2;
}
