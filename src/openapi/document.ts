import packageJson from "../../package.json";
import { adminClinicOperations } from "./admin-clinic-paths";
import { adminDeliveryOperations } from "./admin-delivery-paths";
import { hisOperations } from "./his-paths";
import type { OperationSpec } from "./operation";
import { ADMIN_ACCESS_PROBLEMS, HIS_ACCESS_PROBLEMS, INTERNAL_ERROR, type ProblemCase, problemSchema } from "./problems";
import { componentRef, componentSchemas, parametersOf } from "./schema";
import { serviceOperations } from "./service-paths";
import type { OpenApiDocument, OperationObject, PathItemObject, ResponseObject, SecurityRequirementObject } from "./types";

/** Every operation of the gateway's API, in the order the document lists them. */
export const OPERATIONS: readonly OperationSpec[] = [...serviceOperations, ...adminClinicOperations, ...adminDeliveryOperations, ...hisOperations];

const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** Descriptions of the path and query parameters, by name. Their schemas come from the routes. */
const PARAMETER_DESCRIPTIONS: Readonly<Record<string, string>> = {
  clinicId: "The clinic's id: 1 to 64 lowercase letters, digits and hyphens.",
  eventId: "An event id, `evt_` and 32 hex digits.",
  quarantineId: "A quarantined request's id, as in the rejection's `quarantineId`.",
  tokenId: "A HIS token's id (`htk_…`), as listed by GET /admin/v1/clinics/{clinicId}/his-tokens.",
  visitId: "Chup's id of the visit (live queue entry).",
  clientId: "Chup's registered client id of the patient.",
  file: "`<CloudEvent type>.json`, or `defs.json`.",
  date: "A local date of the clinic, YYYY-MM-DD. Defaults to today in the clinic's time zone.",
  limit: "Maximum number of items returned.",
  type: "Only dead letters of this CloudEvent type, e.g. `chup.visit.served`.",
  state: "Only events in this delivery state.",
  after: "Return events after this cursor: the previous batch's `nextCursor`, or 0 at the start.",
  wait: "Seconds to wait for an event when none is pending (a long poll).",
};

const TAGS: OpenApiDocument["tags"] = [
  { name: "service", description: "Whether the Worker runs." },
  { name: "webhooks", description: "Chup Online posts its signed webhooks here." },
  { name: "schemas", description: "JSON Schemas of each relayed event type's data." },
  { name: "clinics", description: "Clinic settings and secret rotation. Requires the admin token." },
  { name: "his-tokens", description: "Bearer tokens for a clinic's HIS. Requires the admin token." },
  { name: "delivery", description: "A clinic's delivery queue, dead letters and events. Requires the admin token." },
  { name: "quarantine", description: "Rejected webhooks kept for inspection. Requires the admin token." },
  { name: "maintenance", description: "Gateway-wide maintenance tasks. Requires the admin token." },
  { name: "his-read", description: "A clinic's current state for its HIS or a dashboard. Requires a HIS token of the clinic." },
  { name: "his-pull", description: "Events for a HIS behind a firewall to fetch and acknowledge. Requires a HIS token of the clinic." },
];

const DESCRIPTION = [
  "Receives signed webhooks from Chup Online, stores them in D1 and relays each one to the clinic's",
  "hospital information system (HIS), by push or for the HIS to pull.",
  "",
  "- `/admin/v1` takes the gateway's admin token (`ADMIN_TOKEN`) as a bearer token.",
  "- `/his/v1/{clinicId}` takes a HIS token of that clinic, created with POST /admin/v1/clinics/{clinicId}/his-tokens.",
  "- Every error is an RFC 9457 problem sent as `application/problem+json`, and its `type` names the problem.",
  "  docs/errors.md in the repository lists them all.",
].join("\n");

/** Security requirement of each kind of route. The webhook route is authenticated by its signature instead. */
const SECURITY: Record<OperationSpec["auth"], SecurityRequirementObject[] | undefined> = {
  admin: [{ adminToken: [] }],
  his: [{ hisToken: [] }],
  none: undefined,
};

const ACCESS_PROBLEMS: Record<OperationSpec["auth"], readonly ProblemCase[]> = {
  admin: ADMIN_ACCESS_PROBLEMS,
  his: HIS_ACCESS_PROBLEMS,
  none: [],
};

/** Writes the problems of one status as the response description, one line per problem type. */
function describeProblems(cases: readonly ProblemCase[]): string {
  if (cases.length === 1) {
    return `Problem \`${cases[0]!.type}\`: ${cases[0]!.when}.`;
  }
  return ["Problems:", ...cases.map((problem) => `- \`${problem.type}\`: ${problem.when}.`)].join("\n");
}

/** Groups an operation's problems by status into problem+json responses. */
function problemResponses(cases: readonly ProblemCase[]): Record<string, ResponseObject> {
  const byStatus = new Map<number, ProblemCase[]>();
  for (const problem of cases) {
    const group = byStatus.get(problem.status) ?? [];
    if (!group.some((known) => known.type === problem.type)) {
      group.push(problem);
    }
    byStatus.set(problem.status, group);
  }

  const responses: Record<string, ResponseObject> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const response: ResponseObject = {
      description: describeProblems(group),
      content: { [PROBLEM_MEDIA_TYPE]: { schema: componentRef(problemSchema) } },
    };
    const headers = new Set(group.flatMap((problem) => problem.headers ?? []));
    if (headers.size > 0) {
      response.headers = Object.fromEntries([...headers].map((name) => [name, { $ref: `#/components/headers/${name}` }]));
    }
    responses[String(status)] = response;
  }
  return responses;
}

function operationObject(spec: OperationSpec): OperationObject {
  const operation: OperationObject = { operationId: spec.operationId, tags: [spec.tag], summary: spec.summary, responses: {} };
  if (spec.description !== undefined) {
    operation.description = spec.description;
  }
  const security = SECURITY[spec.auth];
  if (security !== undefined) {
    operation.security = security;
  }

  const parameters = [
    ...(spec.pathParams === undefined ? [] : parametersOf("path", spec.pathParams, PARAMETER_DESCRIPTIONS)),
    ...(spec.query === undefined ? [] : parametersOf("query", spec.query, PARAMETER_DESCRIPTIONS)),
  ];
  if (parameters.length > 0) {
    operation.parameters = parameters;
  }
  if (spec.requestBody !== undefined) {
    operation.requestBody = {
      required: true,
      content: { "application/json": { schema: componentRef(spec.requestBody.schema), example: spec.requestBody.example } },
    };
  }

  for (const [status, success] of Object.entries(spec.responses)) {
    operation.responses[status] = success.body === undefined
      ? { description: success.description }
      : { description: success.description, content: { [success.mediaType ?? "application/json"]: { schema: componentRef(success.body) } } };
  }
  const problems = problemResponses([...ACCESS_PROBLEMS[spec.auth], ...spec.problems, INTERNAL_ERROR]);
  for (const [status, response] of Object.entries(problems)) {
    if (status in operation.responses) {
      throw new Error(`OpenAPI: ${spec.operationId} lists status ${status} both as a success and as a problem.`);
    }
    operation.responses[status] = response;
  }
  return operation;
}

/**
 * Builds the OpenAPI 3.1 document of the gateway's API. Parameter and body
 * schemas are converted from the routes' zod schemas with z.toJSONSchema;
 * the document references nothing outside itself.
 */
export function buildOpenApiDocument(): OpenApiDocument {
  const paths: Record<string, PathItemObject> = {};
  for (const spec of OPERATIONS) {
    const item: PathItemObject = paths[spec.path] ?? {};
    if (item[spec.method] !== undefined) {
      throw new Error(`OpenAPI: ${spec.method.toUpperCase()} ${spec.path} is described twice.`);
    }
    item[spec.method] = operationObject(spec);
    paths[spec.path] = item;
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Chup edge gateway",
      version: packageJson.version,
      description: DESCRIPTION,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    tags: TAGS,
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        adminToken: { type: "http", scheme: "bearer", description: "The gateway's admin token, the ADMIN_TOKEN secret." },
        hisToken: { type: "http", scheme: "bearer", description: "A HIS token of the clinic in the path (`chis_…`)." },
      },
      headers: {
        "Retry-After": { description: "Seconds to wait before sending the request again.", schema: { type: "integer", minimum: 0 } },
        "WWW-Authenticate": { description: 'The bearer scheme and realm: `Bearer realm="admin"` or `Bearer realm="his"`.', schema: { type: "string" } },
      },
    },
  };
}
