/** Placeholder until `podnet analyze` is built; says so plainly instead of failing obscurely. */
export async function main(_argv: string[]): Promise<number> {
  console.error('podnet analyze: not yet available in this build.');
  return 2;
}
