import type { TestProject } from "vitest/node";
import { startMockHis } from "../../src/tools/mock-his.ts";

declare module "vitest" {
  export interface ProvidedContext {
    mockHisOrigin: string;
  }
}

/** Starts one mock HIS on loopback for the whole run; tests use one inbox each. */
export default async function setup(project: TestProject) {
  const his = await startMockHis();
  project.provide("mockHisOrigin", his.origin);
  return async () => {
    await his.close();
  };
}
