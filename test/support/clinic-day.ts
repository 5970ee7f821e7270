/**
 * Generates a synthetic clinic day: patients pass through Registration,
 * Treatment Room, Pharmacy, Billing and Dispensary, each service a live
 * queue entry whose events Chup would send. Alongside the webhooks it
 * returns the ground truth (when each visit was queued, served, …) so tests
 * can compute the expected figures without the gateway's code.
 */

export const SERVICES = [
  { id: 101, name: "Registration" },
  { id: 102, name: "Treatment Room" },
  { id: 103, name: "Pharmacy" },
  { id: 104, name: "Billing" },
  { id: 105, name: "Dispensary" },
];

const STATE_NAMES: Record<number, string> = { 1: "In Queue", 2: "Alerted", 4: "Serving", 5: "Served", 7: "Cancelled", 8: "No Show" };
const MINUTE = 60_000;
const CLINIC_OFFSET = "+08:00";

export interface TruthVisit {
  visitId: number;
  clientId: number;
  serviceId: number;
  serviceName: string;
  queuedAt: number;
  servingAt: number | null;
  servedAt: number | null;
  finalState: number;
}

export interface ClinicDay {
  date: string;
  /** Chup payloads per patient, in the order Chup produced them. */
  payloadsByPatient: Record<string, unknown>[][];
  visits: TruthVisit[];
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failing day can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes a UTC instant as Chup does: local clinic time with its offset. */
function chupTime(instant: number): string {
  return new Date(instant + 8 * 60 * MINUTE).toISOString().replace(/\.\d{3}Z$/, CLINIC_OFFSET);
}

export function generateClinicDay(options: { patients: number; date: string; seed: number }): ClinicDay {
  const random = seededRandom(options.seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const opening = Date.parse(`${options.date}T08:00:00${CLINIC_OFFSET}`);
  const payloadsByPatient: Record<string, unknown>[][] = [];
  const visits: TruthVisit[] = [];

  for (let patient = 0; patient < options.patients; patient++) {
    const clientId = 50_000 + patient;
    // A burst at opening time, then arrivals spread over the day.
    let time = patient < 40 ? opening + between(0, 15) * MINUTE : opening + between(15, 480) * MINUTE;
    // The last patients are still somewhere in the clinic when the day is read.
    const stopAt = patient >= options.patients - 15 ? between(0, SERVICES.length - 1) : SERVICES.length;
    const payloads: Record<string, unknown>[] = [];

    for (let step = 0; step < SERVICES.length && step <= stopAt; step++) {
      const service = SERVICES[step]!;
      const visitId = 100_000 + patient * 10 + step;
      const createdAt = time;
      const base = {
        id: visitId,
        appointment_id: null,
        registered_client_id: clientId,
        registered_client_name: `Synthetic Patient ${patient}`,
        registered_client_phone: `60123${String(400_000 + patient).padStart(6, "0")}`,
        service_id: service.id,
        service_name: service.name,
        staff_id: 900 + step,
        staff_name: `${service.name} desk`,
        notes: [],
        created_at: chupTime(createdAt),
      };
      const emit = (event: string, state: number, at: number) =>
        payloads.push({ event, timestamp: chupTime(at), data: { ...base, state, state_name: STATE_NAMES[state], updated_at: chupTime(at) } });

      emit("live_queue_created", 1, createdAt);
      const truth: TruthVisit = { visitId, clientId, serviceId: service.id, serviceName: service.name, queuedAt: createdAt, servingAt: null, servedAt: null, finalState: 1 };
      visits.push(truth);

      const waited = createdAt + between(1, 45) * MINUTE;
      if (random() < 0.5) {
        emit("live_queue_updated", 2, waited - MINUTE / 2);
        truth.finalState = 2;
      }
      if (step === stopAt) {
        // Cut off while waiting, or while being served.
        if (random() < 0.5) {
          emit("live_queue_updated", 4, waited);
          truth.servingAt = waited;
          truth.finalState = 4;
        }
        break;
      }

      const outcome = random();
      if (outcome < 0.04) {
        emit("live_queue_updated", 8, waited);
        truth.finalState = 8;
        break;
      }
      if (outcome < 0.07) {
        emit("live_queue_updated", 7, waited);
        truth.finalState = 7;
        break;
      }

      emit("live_queue_updated", 4, waited);
      const served = waited + between(2, 25) * MINUTE + between(0, 59) * 1000;
      emit("live_queue_updated", 5, served);
      Object.assign(truth, { servingAt: waited, servedAt: served, finalState: 5 });
      time = served + between(0, 5) * MINUTE;
    }
    payloadsByPatient.push(payloads);
  }
  return { date: options.date, payloadsByPatient, visits };
}
