import type { core } from "zod";
import { ProblemError } from "./problem";

/**
 * zValidator hook: turns a failed validation into a 400 problem that lists
 * each invalid field by its path.
 */
export function validationProblem(result: { success: true } | { success: false; error: core.$ZodError }): void {
  if (result.success) {
    return;
  }
  const errors = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(body)",
    message: issue.message,
  }));
  const summary = errors.map((error) => `${error.field} ${error.message}`).join("; ");
  throw new ProblemError(400, "invalid-request", "Invalid request", `The request is invalid: ${summary}.`, {
    extensions: { errors },
  });
}
