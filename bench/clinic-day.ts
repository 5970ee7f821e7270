/**
 * Plays a clinic day as Chup would send it: each patient passes through
 * Registration, Treatment Room, Pharmacy, Billing and Dispensary, and every
 * step is a live queue entry (a visit) whose state changes become webhooks.
 * Many patients arrive in a burst at opening time. About `duplicateShare` of
 * the webhooks are sent a second time, byte for byte, as a sender's retry.
 *
 * Bodies are written the way PHP's json_encode writes them (`\/` and
 * `\uXXXX` escapes) and signed with hex HMAC-SHA256 over the payload text,
 * as Chup's Laravel client does.
 */
import { createHmac } from "node:crypto";
import { encodeLikePhp } from "../src/verify/php-json.ts";
import { seededRandom } from "../test/support/clinic-day.ts";


export const SERVICES = ["Registration", "Treatment Room", "Pharmacy", "Billing", "Dispensary"] as const;

/** Chup's live queue state codes, with the names it sends. */
const STATES = { queued: [1, "In Queue"], alerted: [2, "Alerted"], arrived: [3, "Arrived"], serving: [4, "Serving"], served: [5, "Served"], cancelled: [7, "Cancelled"], noShow: [8, "No Show"] } as const;

const MINUTE_MS = 60_000;
/** Clinics in the generated days are in Malaysia (UTC+8), as in Chup's published examples. */
const UTC_OFFSET_MS = 8 * 60 * MINUTE_MS;
const OPENING_HOUR = 8;
const DAY_LENGTH_MINUTES = 9 * 60;

export interface PlannedWebhook {
  clinicId: string;
  /** Simulated time since opening, in milliseconds. */
  at: number;
  /** The gateway's ordering key for this event: `visits/<live queue id>`. */
  orderingKey: string;
  body: string;
  /** True for the second copy of a webhook already in the plan. */
  duplicate: boolean;
}

export interface ClinicDayOptions {
  clinicIds: string[];
  patientsPerClinic: number;
  /** Share of webhooks sent twice, from 0 to 1. */
  duplicateShare: number;
  /** The webhook secret every clinic shares with the simulated Chup. */
  secret: string;
  seed: number;
  /** Calendar date of the day, YYYY-MM-DD. */
  date: string;
  /** First live queue id; separate plans need separate ranges so their visits never collide. */
  firstVisitId: number;
}

/** Formats a UTC instant as Chup does: clinic-local time with its offset. */
function chupTime(instant: number): string {
  return new Date(instant + UTC_OFFSET_MS).toISOString().replace(/\.\d{3}Z$/, "+08:00");
}

/** Builds the body Chup would POST for one payload, with its signature. */
export function signedBody(payload: unknown, secret: string): string {
  const payloadText = encodeLikePhp(JSON.stringify(payload));
  const signature = createHmac("sha256", secret).update(payloadText, "utf8").digest("hex");
  return `{"payload":${payloadText},"signature":"${signature}"}`;
}

/** Returns every clinic's webhooks for one day, ordered by simulated time. */
export function planClinicDays(options: ClinicDayOptions): PlannedWebhook[] {
  const random = seededRandom(options.seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const opening = Date.parse(`${options.date}T${String(OPENING_HOUR).padStart(2, "0")}:00:00+08:00`);
  const planned: PlannedWebhook[] = [];
  let nextVisitId = options.firstVisitId;
  let nextNoteId = 1;

  for (const [clinicIndex, clinicId] of options.clinicIds.entries()) {
    for (let patient = 0; patient < options.patientsPerClinic; patient++) {
      const clientId = 30_000 + clinicIndex * 1_000 + patient;
      const name = PATIENT_NAMES[patient % PATIENT_NAMES.length]!;
      // A third of the day's patients queue in the first quarter hour.
      const arrivalMinute = random() < 0.33 ? between(0, 15) : between(15, DAY_LENGTH_MINUTES - 90);
      const hasAppointment = random() < 0.3;
      const appointment = hasAppointment
        ? { id: 9_000 + clinicIndex * 1_000 + patient, date: options.date, time: chupTime(opening + arrivalMinute * MINUTE_MS).slice(11, 19) }
        : null;
      let time = opening + arrivalMinute * MINUTE_MS + between(0, 59) * 1000;
      let previousService: string | null = null;

      for (const [step, serviceName] of SERVICES.entries()) {
        const visitId = nextVisitId++;
        const createdAt = time;
        const notes =
          previousService === null
            ? []
            : [
                {
                  id: nextNoteId++,
                  content: `Visit Transits : ${previousService} → ${serviceName}`,
                  user_id: 260 + step,
                  service_id: 200 + step,
                  client_id: clientId,
                  created_date: Math.floor(createdAt / 1000),
                  updated_date: Math.floor(createdAt / 1000),
                  created_at: new Date(createdAt).toISOString().replace("Z", "000Z"),
                  updated_at: new Date(createdAt).toISOString().replace("Z", "000Z"),
                  deleted_at: null,
                  model_type: "App\\Models\\Visit",
                  model_id: visitId,
                },
              ];
        const base = {
          id: visitId,
          appointment_id: appointment?.id ?? null,
          appointment_date: appointment?.date ?? null,
          appointment_time: appointment?.time ?? null,
          registered_client_id: clientId,
          registered_client_name: name,
          registered_client_phone: `601${String(20_000_000 + clientId).slice(-8)}`,
          client_name: name,
          service_id: 200 + step,
          service_name: serviceName,
          staff_id: 260 + step,
          staff_name: `${serviceName} desk`,
          notes,
          created_at: chupTime(createdAt),
        };
        const emit = (event: string, state: readonly [number, string], at: number) => {
          const payload = { event, timestamp: chupTime(at), data: { ...base, state: state[0], state_name: state[1], updated_at: chupTime(at) } };
          planned.push({ clinicId, at: at - opening, orderingKey: `visits/${visitId}`, body: signedBody(payload, options.secret), duplicate: false });
        };

        emit("live_queue_created", STATES.queued, createdAt);
        const called = createdAt + between(2, 40) * MINUTE_MS + between(0, 59) * 1000;
        if (random() < 0.5) {
          emit("live_queue_updated", STATES.alerted, called - 30_000);
        }
        const outcome = random();
        if (outcome < 0.03) {
          emit("live_queue_updated", STATES.noShow, called);
          break;
        }
        if (outcome < 0.05) {
          emit("live_queue_updated", STATES.cancelled, called);
          break;
        }
        if (serviceName === "Pharmacy") {
          emit("live_queue_updated", STATES.arrived, called);
        }
        const servingAt = called + between(0, 2) * MINUTE_MS;
        emit("live_queue_updated", STATES.serving, servingAt);
        const servedAt = servingAt + between(2, 20) * MINUTE_MS + between(0, 59) * 1000;
        emit("live_queue_updated", STATES.served, servedAt);
        time = servedAt + between(0, 4) * MINUTE_MS;
        previousService = serviceName;
      }
    }
  }

  addDuplicates(planned, options.duplicateShare, random);
  return planned.sort((a, b) => a.at - b.at);
}

/** Re-sends a share of the webhooks 5 to 90 simulated seconds after the original, as a sender's retry. */
function addDuplicates(planned: PlannedWebhook[], share: number, random: () => number): void {
  const originals = planned.length;
  for (let index = 0; index < originals; index++) {
    if (random() < share) {
      const original = planned[index]!;
      planned.push({ ...original, at: original.at + 5_000 + Math.floor(random() * 85_000), duplicate: true });
    }
  }
}

/** Returns the largest number of planned webhooks in any one simulated minute. */
export function peakPerMinute(planned: PlannedWebhook[]): number {
  const perMinute = new Map<number, number>();
  for (const webhook of planned) {
    const minute = Math.floor(webhook.at / MINUTE_MS);
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
  }
  return Math.max(0, ...perMinute.values());
}

/** Patient names as a Malaysian clinic has them, a few with characters that PHP escapes. */
const PATIENT_NAMES = [
  "Nur Aisyah binti Ahmad",
  "Tan Wei Ming",
  "Muthu a/l Rajan",
  "Siti Nurhaliza",
  "Lim Mei Ling",
  "Ahmad Faris",
  "Chong Kah Wai",
  "Kavitha d/o Subramaniam",
  "José Ramírez",
  "Wong Siew Lan",
  "Mohd Hafiz",
  "陈美玲",
];

/**
 * Returns the webhooks of the busiest stretch of `lengthMs` simulated
 * milliseconds, with `at` counted from the stretch's start, and that start.
 */
export function busiestWindow(planned: PlannedWebhook[], lengthMs: number): { startMs: number; webhooks: PlannedWebhook[] } {
  let best = { first: 0, count: 0 };
  let last = 0;
  for (let first = 0; first < planned.length; first++) {
    while (last < planned.length && planned[last]!.at - planned[first]!.at <= lengthMs) {
      last += 1;
    }
    if (last - first > best.count) {
      best = { first, count: last - first };
    }
  }
  const startMs = planned[best.first]?.at ?? 0;
  return { startMs, webhooks: planned.slice(best.first, best.first + best.count).map((webhook) => ({ ...webhook, at: webhook.at - startMs })) };
}

/** Formats simulated milliseconds since opening as the clinic's clock time, such as "09:50". */
export function clinicClock(sinceOpeningMs: number): string {
  const minutes = OPENING_HOUR * 60 + Math.floor(sinceOpeningMs / MINUTE_MS);
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
