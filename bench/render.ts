/**
 * Writes BENCHMARKS.md again from a results file, for a change to
 * bench/report.ts without a new run: `tsx bench/render.ts bench/results/<date>.json`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderBenchmarks } from "./report.ts";
import type { BenchResults } from "./results.ts";
import { projectRoot } from "./servers.ts";

const resultsFile = process.argv[2];
if (!resultsFile) {
  console.error("Missing results file: run `tsx bench/render.ts bench/results/<date>.json`.");
  process.exit(2);
}
const results = JSON.parse(await readFile(resultsFile, "utf8")) as BenchResults;
await writeFile(join(projectRoot, "BENCHMARKS.md"), renderBenchmarks(results));
console.log(`Wrote BENCHMARKS.md from ${resultsFile}.`);
