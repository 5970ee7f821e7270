import { z } from "zod";
import { PROBLEM_TYPE_BASE } from "../http/problem";
import { component, described } from "./schema";

/** Response headers a problem can carry. */
export type ProblemHeader = "Retry-After" | "WWW-Authenticate";

/** One problem an operation can return. */
export interface ProblemCase {
  status: number;
  /** The last part of the problem type URI, e.g. "clinic-not-found". */
  type: string;
  /** The condition that leads to this problem, as a sentence fragment. */
  when: string;
  headers?: readonly ProblemHeader[];
}

/** The RFC 9457 problem details object every error response carries, with this gateway's extension members. */
export const problemSchema = component(
  "Problem",
  z.looseObject({
    type: described(z.string(), `Problem type, a tag URI (RFC 4151): \`${PROBLEM_TYPE_BASE}<name>\`. Match on it, because it is a name and not a link.`),
    title: described(z.string(), "Short summary of the problem type."),
    status: described(z.int().min(400).max(599), "The HTTP status code of the response."),
    detail: described(z.string(), "What went wrong with this request and what to do next."),
    quarantineId: described(z.string().regex(/^qtn_[0-9a-f]{32}$/), "Id of the quarantined copy of a rejected webhook.").optional(),
    field: described(z.string(), "The envelope field that is missing or invalid, e.g. `payload.event`.").optional(),
    errors: described(
      z.array(z.object({ field: z.string(), message: z.string() })),
      "Each field that failed validation, by its path, and why.",
    ).optional(),
    reason: described(z.string(), "On `still-rejected`: the name of the problem the re-ingested request got.").optional(),
  }),
  "Problem details (RFC 9457), sent as `application/problem+json`. docs/errors.md lists every problem type.",
);

export const INTERNAL_ERROR: ProblemCase = { status: 500, type: "internal-error", when: "the gateway failed unexpectedly; the error is logged" };

export const INVALID_REQUEST: ProblemCase = {
  status: 400,
  type: "invalid-request",
  when: "a path parameter, query parameter or JSON body failed validation; `errors` lists each field",
};

export const CLINIC_NOT_FOUND: ProblemCase = { status: 404, type: "clinic-not-found", when: "no clinic has this id" };

export const SECRETS_KEY_NOT_CONFIGURED: ProblemCase = {
  status: 503,
  type: "secrets-key-not-configured",
  when: "the SECRETS_KEY secret, which encrypts clinic secrets, is missing or invalid",
};

export const STORAGE_UNAVAILABLE: ProblemCase = {
  status: 503,
  type: "storage-unavailable",
  when: "D1 or the delivery queue failed. Retry after `Retry-After` seconds, and a repeat is recognised as the same event",
  headers: ["Retry-After"],
};

/** Problems of every /admin/v1 route: the admin token check and the per-caller rate limit. */
export const ADMIN_ACCESS_PROBLEMS: readonly ProblemCase[] = [
  { status: 401, type: "unauthorized", when: "the admin token is missing or wrong", headers: ["WWW-Authenticate"] },
  { status: 429, type: "rate-limited", when: "this caller sent more requests than the API allows per minute", headers: ["Retry-After"] },
  { status: 503, type: "admin-not-configured", when: "the ADMIN_TOKEN secret is not set on this gateway" },
];

/** Problems of every /his/v1 route: the HIS token check and the per-caller rate limit. */
export const HIS_ACCESS_PROBLEMS: readonly ProblemCase[] = [
  { status: 401, type: "unauthorized", when: "the HIS token is missing, revoked or belongs to another clinic", headers: ["WWW-Authenticate"] },
  { status: 429, type: "rate-limited", when: "this caller sent more requests than the API allows per minute", headers: ["Retry-After"] },
];
