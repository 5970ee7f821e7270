import { z } from "zod";
import { ackBody, MAX_WAIT_SECONDS, pullQuery } from "../his/pull-routes";
import { dateQuery, ID_PATTERN } from "../his/routes";
import { clinicParam } from "../http/params";
import type { OperationSpec } from "./operation";
import { INVALID_REQUEST, type ProblemCase } from "./problems";
import { component, described, eventId, isoTime } from "./schema";

// Request bodies: the schemas the routes validate with.
component("AckRequest", ackBody, "Acknowledge every handed-out event up to `cursor`, or the listed `eventIds`. One of them is required.");

// The visit and client ids are checked with ID_PATTERN in the handlers, not with zod.
const visitParams = clinicParam.extend({ visitId: z.string().regex(ID_PATTERN) });
const clientParams = clinicParam.extend({ clientId: z.string().regex(ID_PATTERN) });

const idAndName = z.object({ id: z.string().nullable(), name: z.string().nullable() });
const stateCodeAndName = z.object({ code: z.int().nullable(), name: z.string().nullable() });
const localDate = described(z.string(), "The clinic's local date, YYYY-MM-DD.");

/** A visit as src/his/queries.ts describeVisit() returns it. */
const visit = component(
  "Visit",
  z.object({
    visitId: z.string(),
    clientId: z.string().nullable(),
    appointmentId: z.string().nullable(),
    service: idAndName,
    staff: idAndName,
    state: stateCodeAndName,
    date: described(z.string().nullable(), "The clinic's local date the visit was created on."),
    deleted: z.boolean(),
    times: described(
      z.object({
        created: isoTime.nullable(),
        queued: isoTime.nullable(),
        alerted: isoTime.nullable(),
        arrived: isoTime.nullable(),
        serving: isoTime.nullable(),
        served: isoTime.nullable(),
        cancelled: isoTime.nullable(),
        noShow: isoTime.nullable(),
      }),
      "When the visit first reached each state, or null for a state it has not reached.",
    ),
    updatedAt: isoTime.nullable(),
  }),
  "One patient's visit to one service (a live queue entry).",
);

const liveQueue = component(
  "LiveQueue",
  z.object({
    date: localDate,
    waiting: described(z.int(), "Visits still in the queue."),
    services: z.array(
      z.object({
        serviceId: z.string().nullable(),
        serviceName: z.string().nullable(),
        visits: described(z.array(visit), "Oldest first."),
        counts: z.object({ queued: z.int(), alerted: z.int(), arrived: z.int(), serving: z.int() }),
      }),
    ),
  }),
  "Visits still in the queue (In Queue, Alerted, Arrived, Serving), grouped by service.",
);

const visitWithHistory = component(
  "VisitWithHistory",
  visit.extend({
    history: described(
      z.array(
        z.object({
          eventId: eventId(),
          state: z.object({ code: z.int(), name: z.string().nullable() }).nullable(),
          serviceId: z.string().nullable(),
          at: isoTime.nullable(),
        }),
      ),
      "Every state the visit was seen in, in source order.",
    ),
  }),
);

const dateAndTime = z.object({ date: z.string().nullable(), time: z.string().nullable() });

const appointmentList = component(
  "AppointmentList",
  z.object({
    date: localDate,
    appointments: z.array(
      z.object({
        appointmentId: z.string(),
        clientId: z.string().nullable(),
        service: idAndName,
        staff: idAndName,
        state: stateCodeAndName,
        date: z.string().nullable(),
        time: z.string().nullable(),
        startsAt: isoTime.nullable(),
        endsAt: isoTime.nullable(),
        original: described(dateAndTime, "The date and time first booked."),
        reschedules: z.array(
          z.object({
            from: dateAndTime,
            to: dateAndTime,
            rescheduleState: z.int().nullable(),
            rescheduledBy: stateCodeAndName,
          }),
        ),
      }),
    ),
  }),
  "Appointments on a date with their reschedules.",
);

const patientJourney = component(
  "PatientJourney",
  z.object({ clientId: z.string(), date: localDate, visits: described(z.array(visit), "In the order they joined each queue.") }),
);

const durationSummary = component(
  "DurationSummary",
  z.object({
    count: z.int(),
    meanSeconds: z.number().nullable(),
    medianSeconds: described(z.number().nullable(), "For an even count, the mean of the two middle values."),
    p90Seconds: described(z.number().nullable(), "Nearest rank: the ⌈0.9 n⌉-th smallest value."),
    maxSeconds: z.number().nullable(),
  }),
  "Summary of durations in seconds. The figures are null when `count` is 0.",
);

const serviceWaitTimes = component(
  "ServiceWaitTimes",
  z.object({
    serviceId: z.string().nullable(),
    serviceName: z.string().nullable(),
    visits: described(z.int(), "Visits created that day and not deleted."),
    queuedToServing: durationSummary,
    servingToServed: durationSummary,
    noShows: z.int(),
    cancelled: z.int(),
  }),
  [
    "Wait-time figures of one service, or of the whole clinic with null service fields.",
    "`queuedToServing` runs from the first In Queue state (or the visit's creation) to the first Serving state;",
    "`servingToServed` from the first Serving to the first Served state. `noShows` and `cancelled` count visits",
    "whose current state is No Show or Cancelled.",
  ].join(" "),
);

const waitTimes = component(
  "WaitTimes",
  z.object({ date: localDate, services: z.array(serviceWaitTimes), clinic: serviceWaitTimes }),
  "Wait-time figures per service and, under `clinic`, for the whole clinic.",
);

const pullBatch = component(
  "PullBatch",
  z.object({
    events: z.array(
      z.object({
        cursor: z.string(),
        id: eventId("The same id a push delivery sends as `webhook-id`."),
        contentType: z.string(),
        deliveries: described(z.int(), "How many times the event was handed out, this time included."),
        event: described(z.unknown(), "The event: a CloudEvent, or a FHIR Bundle for a FHIR clinic."),
      }),
    ),
    nextCursor: described(z.string(), "Pass as `after` in the next request."),
    visibilityTimeoutSeconds: z.int(),
  }),
  "Pending events in queue order.",
);

const ackResult = component("AckResult", z.object({ acknowledged: described(z.int(), "Events newly acknowledged.") }));

const PULL_NOT_ENABLED: ProblemCase = { status: 409, type: "pull-not-enabled", when: "the clinic's delivery mode is `push`" };

/** The read API and the pull API for a clinic's HIS, under /his/v1/{clinicId}. */
export const hisOperations: readonly OperationSpec[] = [
  {
    method: "get",
    path: "/his/v1/{clinicId}/queue",
    operationId: "getLiveQueue",
    tag: "his-read",
    summary: "Live queue by service",
    auth: "his",
    pathParams: clinicParam,
    query: dateQuery,
    responses: { 200: { description: "Visits still in the queue.", body: liveQueue } },
    problems: [INVALID_REQUEST],
  },
  {
    method: "get",
    path: "/his/v1/{clinicId}/visits/{visitId}",
    operationId: "getVisit",
    tag: "his-read",
    summary: "One visit with its history",
    auth: "his",
    pathParams: visitParams,
    responses: { 200: { description: "The visit.", body: visitWithHistory } },
    problems: [
      { ...INVALID_REQUEST, when: "the visit id is not a decimal number" },
      { status: 404, type: "visit-not-found", when: "the gateway has no visit with this id, possibly because its webhook has not arrived yet" },
    ],
  },
  {
    method: "get",
    path: "/his/v1/{clinicId}/appointments",
    operationId: "listAppointments",
    tag: "his-read",
    summary: "Appointments on a date",
    auth: "his",
    pathParams: clinicParam,
    query: dateQuery,
    responses: { 200: { description: "The appointments, by start time.", body: appointmentList } },
    problems: [INVALID_REQUEST],
  },
  {
    method: "get",
    path: "/his/v1/{clinicId}/patients/{clientId}/journey",
    operationId: "getPatientJourney",
    tag: "his-read",
    summary: "A patient's visits on a date",
    auth: "his",
    pathParams: clientParams,
    query: dateQuery,
    responses: { 200: { description: "The patient's visits.", body: patientJourney } },
    problems: [INVALID_REQUEST],
  },
  {
    method: "get",
    path: "/his/v1/{clinicId}/wait-times",
    operationId: "getWaitTimes",
    tag: "his-read",
    summary: "Wait-time figures",
    auth: "his",
    pathParams: clinicParam,
    query: dateQuery,
    responses: { 200: { description: "Figures per service and for the clinic.", body: waitTimes } },
    problems: [INVALID_REQUEST],
  },
  {
    method: "get",
    path: "/his/v1/{clinicId}/events",
    operationId: "pullEvents",
    tag: "his-pull",
    summary: "Fetch pending events",
    description: [
      "For a clinic in delivery mode `pull` or `both`. Returns up to `limit` pending events after the cursor `after`,",
      "plus any whose visibility timeout ran out, in queue order. Each event stays until it is acknowledged.",
      `With \`wait\` (at most ${MAX_WAIT_SECONDS} seconds) and nothing pending, the response comes as soon as an event arrives or the wait ends.`,
    ].join("\n"),
    auth: "his",
    pathParams: clinicParam,
    query: pullQuery,
    responses: { 200: { description: "A batch of events, possibly empty.", body: pullBatch } },
    problems: [INVALID_REQUEST, PULL_NOT_ENABLED],
  },
  {
    method: "post",
    path: "/his/v1/{clinicId}/ack",
    operationId: "acknowledgeEvents",
    tag: "his-pull",
    summary: "Acknowledge pulled events",
    auth: "his",
    pathParams: clinicParam,
    requestBody: { schema: ackBody, example: { cursor: "42" } },
    responses: { 200: { description: "How many events were newly acknowledged.", body: ackResult } },
    problems: [INVALID_REQUEST, PULL_NOT_ENABLED],
  },
];
