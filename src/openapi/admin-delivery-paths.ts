import { z } from "zod";
import { discardBody, eventsQuery, listQuery as deadLetterQuery, replayBody } from "../admin/delivery";
import { clinicParam, eventParam, quarantineParam } from "../http/params";
import { listQuery as quarantineQuery } from "../admin/quarantine";
import { DELIVERY_STATES, quarantine } from "../db/schema";
import type { OperationSpec } from "./operation";
import { CLINIC_NOT_FOUND, INVALID_REQUEST, SECRETS_KEY_NOT_CONFIGURED, STORAGE_UNAVAILABLE } from "./problems";
import { component, described, eventId, isoTime } from "./schema";
import { webhookAccepted, webhookDuplicate } from "./service-paths";

// Request bodies: the schemas the routes validate with.
component("ReplayRequest", replayBody, 'Which dead letters to replay: `eventIds`, a CloudEvent `type`, or `"all": true`. At least one is required.');
component("DiscardRequest", discardBody, "Why the dead letter is discarded; kept with the event.");

const deliveryState = z.enum(DELIVERY_STATES);
const countsByState = described(z.record(z.string(), z.int()), "Number of events in each state; states with none are left out.");

/** A clinic's delivery queue as DeliveryQueue.stats() returns it. */
const queueStats = component(
  "QueueStats",
  z.object({
    depth: described(z.int(), "Events queued or retrying."),
    oldestUndeliveredAgeSeconds: z.int().nullable(),
    counts: countsByState,
    paused: z.boolean(),
    circuit: z.object({
      state: z.enum(["open", "closed"]),
      consecutiveFailures: z.int(),
      nextProbeAt: isoTime.nullable(),
    }),
    pull: z.object({
      pending: z.int(),
      counts: countsByState,
      oldestPendingAgeSeconds: z.int().nullable(),
    }),
  }),
  "Queue depth, oldest undelivered age, counts by state, pause and circuit state, and the pull queue.",
);

const clinicQueue = component("ClinicQueue", queueStats.extend({ clinicId: z.string() }));

/** One entry of a clinic's delivery queue, as DeliveryQueue describes a row. */
const queuedEvent = component(
  "QueuedEvent",
  z.object({
    eventId: eventId(),
    type: z.string(),
    orderingKey: described(z.string(), "Events with the same key go out one at a time, e.g. `visits/19738`."),
    state: deliveryState,
    attempts: z.int(),
    receivedAt: isoTime,
    lastAttemptAt: isoTime.nullable(),
    lastStatus: z.int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: isoTime.nullable(),
    deliveredAt: isoTime.nullable(),
  }),
);

const deadLetterList = component("DeadLetterList", z.object({ deadLetters: z.array(queuedEvent) }), "Dead letters, oldest first.");
const replayResult = component("ReplayResult", z.object({ replayed: described(z.int(), "Dead letters put back in the queue.") }));

const eventList = component(
  "EventList",
  z.object({
    events: z.array(
      z.object({
        id: eventId(),
        type: z.string(),
        subject: z.string().nullable(),
        receivedAt: isoTime,
        deliveryState,
        attempts: z.int(),
        lastStatus: z.int().nullable(),
        deliveredAt: isoTime.nullable(),
      }),
    ),
  }),
  "The clinic's events in D1, newest first.",
);

const eventDetail = component(
  "EventDetail",
  z.object({
    eventId: eventId(),
    type: z.string(),
    subject: z.string().nullable(),
    chupEvent: described(z.string(), "The Chup event name of the webhook."),
    receivedAt: isoTime,
    delivery: z.object({
      state: deliveryState,
      attempts: z.int(),
      lastStatus: z.int().nullable(),
      lastError: z.string().nullable(),
      nextAttemptAt: isoTime.nullable(),
      deliveredAt: isoTime.nullable(),
    }),
    attempts: z.array(
      z.object({
        attempt: z.int(),
        startedAt: isoTime,
        status: described(z.int().nullable(), "HTTP status of the HIS response, or null when none came."),
        error: z.string().nullable(),
        durationMs: z.int(),
        outcome: described(z.string(), "`delivered`, `retry`, `reject`, or `dead` when the retry budget ran out."),
      }),
    ),
  }),
  "One event with its delivery state and every attempt to deliver it.",
);

const quarantineFields = {
  id: z.string(),
  receivedAt: isoTime,
  status: described(z.int(), "The status the request was answered with."),
  reason: described(z.string(), "Name of the problem the request was answered with."),
  detail: z.string(),
  headers: described(z.record(z.string(), z.string()), "The request headers kept for diagnosis."),
  bodyEncoding: z.enum(quarantine.bodyEncoding.enumValues),
  bodyTruncated: described(z.boolean(), "True when only the first 64 KiB of an over-size body were kept."),
  reingestedAt: isoTime.nullable(),
  reingestedEventId: z.string().nullable(),
};

const quarantineList = component(
  "QuarantineList",
  z.object({ quarantine: z.array(z.object({ ...quarantineFields, bodyLength: described(z.int(), "Length of the stored body text.") })) }),
  "The clinic's rejected requests, newest first, without their bodies.",
);

const quarantineEntry = component(
  "QuarantineEntry",
  z.object({ ...quarantineFields, body: described(z.string(), "The body as received: UTF-8 text, or base64 when `bodyEncoding` is `base64`.") }),
  "One rejected request with its body.",
);

const reingestAccepted = component("ReingestAccepted", webhookAccepted.extend({ quarantineId: z.string() }));
const reingestDuplicate = component("ReingestDuplicate", webhookDuplicate.extend({ quarantineId: z.string() }));

const QUEUE_PROBLEMS = [INVALID_REQUEST, CLINIC_NOT_FOUND];

/** Delivery queue, dead letters, events and quarantine of a clinic, under /admin/v1/clinics/{clinicId}. */
export const adminDeliveryOperations: readonly OperationSpec[] = [
  {
    method: "get",
    path: "/admin/v1/clinics/{clinicId}/queue",
    operationId: "getDeliveryQueue",
    tag: "delivery",
    summary: "Delivery queue state",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: { description: "The queue's state.", body: clinicQueue } },
    problems: QUEUE_PROBLEMS,
  },
  {
    method: "get",
    path: "/admin/v1/clinics/{clinicId}/dead-letters",
    operationId: "listDeadLetters",
    tag: "delivery",
    summary: "List dead letters",
    auth: "admin",
    pathParams: clinicParam,
    query: deadLetterQuery,
    responses: { 200: { description: "Dead letters, oldest first.", body: deadLetterList } },
    problems: QUEUE_PROBLEMS,
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/dead-letters/replay",
    operationId: "replayDeadLetters",
    tag: "delivery",
    summary: "Replay dead letters",
    description: "Puts the named dead letters back in the queue with a fresh retry budget.",
    auth: "admin",
    pathParams: clinicParam,
    requestBody: { schema: replayBody, example: { all: true } },
    responses: { 200: { description: "How many were replayed.", body: replayResult } },
    problems: QUEUE_PROBLEMS,
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/dead-letters/{eventId}/discard",
    operationId: "discardDeadLetter",
    tag: "delivery",
    summary: "Discard a dead letter",
    auth: "admin",
    pathParams: eventParam,
    requestBody: { schema: discardBody, example: { reason: "Duplicate of a visit the clinic entered by hand" } },
    responses: { 204: { description: "The dead letter was discarded." } },
    problems: [...QUEUE_PROBLEMS, { status: 404, type: "dead-letter-not-found", when: "the event is not a dead letter of this clinic" }],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/delivery/pause",
    operationId: "pauseDelivery",
    tag: "delivery",
    summary: "Pause delivery",
    description: "Stops sending to the HIS. Webhooks are still accepted and queued.",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: { description: "The queue's state.", body: queueStats } },
    problems: QUEUE_PROBLEMS,
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/delivery/resume",
    operationId: "resumeDelivery",
    tag: "delivery",
    summary: "Resume delivery",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: { description: "The queue's state.", body: queueStats } },
    problems: QUEUE_PROBLEMS,
  },
  {
    method: "get",
    path: "/admin/v1/clinics/{clinicId}/events",
    operationId: "listEvents",
    tag: "delivery",
    summary: "List events",
    description: "Reads D1 only, so an unknown clinic gets an empty list.",
    auth: "admin",
    pathParams: clinicParam,
    query: eventsQuery,
    responses: { 200: { description: "Events, newest first.", body: eventList } },
    problems: [INVALID_REQUEST],
  },
  {
    method: "get",
    path: "/admin/v1/clinics/{clinicId}/events/{eventId}",
    operationId: "getEvent",
    tag: "delivery",
    summary: "Get an event and its delivery attempts",
    auth: "admin",
    pathParams: eventParam,
    responses: { 200: { description: "The event.", body: eventDetail } },
    problems: [INVALID_REQUEST, { status: 404, type: "event-not-found", when: "the clinic has no event with this id" }],
  },
  {
    method: "get",
    path: "/admin/v1/clinics/{clinicId}/quarantine",
    operationId: "listQuarantine",
    tag: "quarantine",
    summary: "List quarantined requests",
    description: "Reads D1 only, so an unknown clinic gets an empty list.",
    auth: "admin",
    pathParams: clinicParam,
    query: quarantineQuery,
    responses: { 200: { description: "Rejected requests, newest first.", body: quarantineList } },
    problems: [INVALID_REQUEST],
  },
  {
    method: "get",
    path: "/admin/v1/clinics/{clinicId}/quarantine/{quarantineId}",
    operationId: "getQuarantineEntry",
    tag: "quarantine",
    summary: "Get a quarantined request",
    auth: "admin",
    pathParams: quarantineParam,
    responses: { 200: { description: "The request with its body.", body: quarantineEntry } },
    problems: [INVALID_REQUEST, { status: 404, type: "quarantine-entry-not-found", when: "the clinic has no quarantined request with this id" }],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/quarantine/{quarantineId}/reingest",
    operationId: "reingestQuarantineEntry",
    tag: "quarantine",
    summary: "Run a quarantined request through ingest again",
    description: "For example after the clinic's webhook secret was corrected. A request accepted before is answered as a duplicate.",
    auth: "admin",
    pathParams: quarantineParam,
    responses: {
      202: { description: "Accepted: stored and queued for the HIS.", body: reingestAccepted },
      200: { description: "The same webhook was accepted before.", body: reingestDuplicate },
    },
    problems: [
      INVALID_REQUEST,
      { status: 404, type: "quarantine-entry-not-found", when: "the clinic has no quarantined request with this id" },
      CLINIC_NOT_FOUND,
      { status: 409, type: "body-truncated", when: "only the first bytes of this over-size request were kept" },
      { status: 422, type: "still-rejected", when: "ingest rejected the request again; `reason` names the problem" },
      STORAGE_UNAVAILABLE,
      SECRETS_KEY_NOT_CONFIGURED,
    ],
  },
];
