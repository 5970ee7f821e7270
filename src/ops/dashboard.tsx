import type { AdminResult, ClinicSummary, DeadLetter, EventSummary, QuarantineEntry, QueueStats } from "./admin-api";
import { formatAge, formatTime, truncate, urlHost } from "./format";
import { Layout, type Notice, NoticeBanner, OPS_PATH } from "./layout";
import { REFRESH_SECONDS } from "./assets";

/** Everything the dashboard shows of one clinic, each part as the admin API returned it. */
export interface ClinicView {
  clinic: ClinicSummary;
  stats: AdminResult<QueueStats>;
  deadLetters: AdminResult<{ deadLetters: DeadLetter[] }>;
  quarantine: AdminResult<{ quarantine: QuarantineEntry[] }>;
  events: AdminResult<{ events: EventSummary[] }>;
}

/** Form fields every state-changing form carries. */
interface FormContext {
  csrf: string;
  /** The clinic the page is narrowed to, so the redirect after a form keeps that view. */
  focus: string | null;
}

function HiddenFields(props: { form: FormContext }) {
  return (
    <>
      <input type="hidden" name="csrf" value={props.form.csrf} />
      {props.form.focus === null ? null : <input type="hidden" name="focus" value={props.form.focus} />}
    </>
  );
}

function LoadError(props: { result: AdminResult<unknown> }) {
  if (props.result.ok) {
    return null;
  }
  return <p class="notice error">Could not load this part: {props.result.problem?.detail ?? `status ${props.result.status}`}</p>;
}

function Badge(props: { state: string }) {
  return <span class={`badge ${props.state}`}>{props.state}</span>;
}

function Figure(props: { label: string; value: string | number; field: string; alert?: boolean }) {
  return (
    <div class={props.alert ? "figure alert" : "figure"}>
      <span class="label">{props.label}</span>
      <span class="value" data-field={props.field}>
        {props.value}
      </span>
    </div>
  );
}

function pushEnabled(clinic: ClinicSummary): boolean {
  return clinic.delivery.mode === "push" || clinic.delivery.mode === "both";
}

function pullEnabled(clinic: ClinicSummary): boolean {
  return clinic.delivery.mode === "pull" || clinic.delivery.mode === "both";
}

function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, count]) => count > 0);
  return entries.length === 0 ? "none" : entries.map(([state, count]) => `${state} ${count}`).join(" · ");
}

function Overview(props: { views: ClinicView[] }) {
  return (
    <table class="overview" data-table="overview">
      <thead>
        <tr>
          <th>Clinic</th>
          <th>Mode</th>
          <th class="num">Queue depth</th>
          <th class="num">Oldest undelivered</th>
          <th class="num">Dead letters</th>
          <th class="num">Pull pending</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {props.views.map(({ clinic, stats }) => {
          const figures = stats.ok ? stats.body : null;
          return (
            <tr data-clinic={clinic.id}>
              <td>
                <a href={`#clinic-${clinic.id}`}>{clinic.name}</a> <span class="muted">{clinic.id}</span>
              </td>
              <td>{clinic.delivery.mode}</td>
              <td class="num">{figures ? figures.depth : "?"}</td>
              <td class="num">{figures ? formatAge(figures.oldestUndeliveredAgeSeconds) : "?"}</td>
              <td class="num">{figures ? (figures.counts.dead ?? 0) : "?"}</td>
              <td class="num">{figures && pullEnabled(clinic) ? figures.pull.pending : "–"}</td>
              <td>
                <StatusBadges clinic={clinic} stats={figures} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function StatusBadges(props: { clinic: ClinicSummary; stats: QueueStats | null }) {
  const badges: string[] = [];
  if (props.clinic.disabled) {
    badges.push("disabled");
  }
  if (props.stats?.paused) {
    badges.push("paused");
  }
  if (props.stats && pushEnabled(props.clinic)) {
    badges.push(props.stats.circuit.state === "open" ? "open" : "closed");
  }
  return (
    <span class="actions">
      {badges.map((state) => (
        <span class={`badge ${state}`}>{state === "open" || state === "closed" ? `circuit ${state}` : state}</span>
      ))}
    </span>
  );
}

function DeadLetters(props: { view: ClinicView; form: FormContext }) {
  const { clinic, deadLetters, stats } = props.view;
  if (!deadLetters.ok) {
    return <LoadError result={deadLetters} />;
  }
  const rows = deadLetters.body.deadLetters;
  const total = stats.ok ? (stats.body.counts.dead ?? rows.length) : rows.length;
  if (rows.length === 0) {
    return <p class="empty">No dead letters.</p>;
  }
  const base = `${OPS_PATH}/clinics/${clinic.id}/dead-letters`;
  return (
    <>
      <table data-table="dead-letters">
        <thead>
          <tr>
            <th>Received</th>
            <th>Event</th>
            <th>Type</th>
            <th class="num">Attempts</th>
            <th>Last answer</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((letter) => (
            <tr data-event-id={letter.eventId}>
              <td class="time">{formatTime(letter.receivedAt, clinic.timezone)}</td>
              <td>
                <code>{letter.eventId}</code>
              </td>
              <td>
                <code>{letter.type}</code>
              </td>
              <td class="num">{letter.attempts}</td>
              <td>
                {letter.lastError !== null ? truncate(letter.lastError, 120) : (letter.lastStatus ?? "no response")}
              </td>
              <td>
                <div class="actions">
                  <form method="post" action={`${base}/${letter.eventId}/replay`}>
                    <HiddenFields form={props.form} />
                    <button class="primary" type="submit">
                      Replay
                    </button>
                  </form>
                  <form method="post" action={`${base}/${letter.eventId}/discard`}>
                    <HiddenFields form={props.form} />
                    <input type="text" name="reason" placeholder="Reason for discarding" required minlength={3} maxlength={500} aria-label={`Reason for discarding ${letter.eventId}`} />
                    <button class="danger" type="submit">
                      Discard
                    </button>
                  </form>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > rows.length ? <p class="muted">Showing the oldest {rows.length} of {total} dead letters.</p> : null}
    </>
  );
}

function Quarantine(props: { view: ClinicView; form: FormContext }) {
  const { clinic, quarantine } = props.view;
  if (!quarantine.ok) {
    return <LoadError result={quarantine} />;
  }
  const rows = quarantine.body.quarantine;
  if (rows.length === 0) {
    return <p class="empty">No quarantined requests.</p>;
  }
  return (
    <table data-table="quarantine">
      <thead>
        <tr>
          <th>Received</th>
          <th class="num">Status</th>
          <th>Reason</th>
          <th>Detail</th>
          <th>Re-ingest</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((entry) => (
          <tr data-quarantine-id={entry.id}>
            <td class="time">{formatTime(entry.receivedAt, clinic.timezone)}</td>
            <td class="num">{entry.status}</td>
            <td>
              <code>{entry.reason}</code>
            </td>
            <td>{truncate(entry.detail, 140)}</td>
            <td>
              {entry.reingestedEventId !== null ? (
                <span>
                  accepted as <code>{entry.reingestedEventId}</code>
                </span>
              ) : entry.bodyTruncated ? (
                <span class="muted">body truncated, cannot re-ingest</span>
              ) : (
                <form method="post" action={`${OPS_PATH}/clinics/${clinic.id}/quarantine/${entry.id}/reingest`}>
                  <HiddenFields form={props.form} />
                  <button type="submit">Re-ingest</button>
                </form>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Events(props: { view: ClinicView }) {
  const { clinic, events } = props.view;
  if (!events.ok) {
    return <LoadError result={events} />;
  }
  const rows = events.body.events;
  if (rows.length === 0) {
    return <p class="empty">No events yet.</p>;
  }
  return (
    <table data-table="events">
      <thead>
        <tr>
          <th>Received</th>
          <th>Event</th>
          <th>Type</th>
          <th>State</th>
          <th class="num">Attempts</th>
          <th class="num">Last status</th>
          <th>Delivered</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((event) => (
          <tr data-event-id={event.id} data-state={event.deliveryState}>
            <td class="time">{formatTime(event.receivedAt, clinic.timezone)}</td>
            <td>
              <code>{event.id}</code>
            </td>
            <td>
              <code>{event.type}</code>
            </td>
            <td>
              <Badge state={event.deliveryState} />
            </td>
            <td class="num">{event.attempts}</td>
            <td class="num">{event.lastStatus ?? "–"}</td>
            <td class="time">{formatTime(event.deliveredAt, clinic.timezone)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PullSection(props: { stats: QueueStats }) {
  const { pull } = props.stats;
  return (
    <>
      <h3>Pull</h3>
      <div class="figures">
        <Figure label="Waiting for the HIS" value={pull.pending} field="pull-pending" alert={pull.pending > 0} />
        <Figure label="Oldest waiting" value={formatAge(pull.oldestPendingAgeSeconds)} field="pull-oldest" />
      </div>
      <p class="muted">By state: {countsText(pull.counts)}</p>
    </>
  );
}

function ClinicSection(props: { view: ClinicView; form: FormContext }) {
  const { clinic, stats } = props.view;
  const host = urlHost(clinic.delivery.url);
  return (
    <section class="clinic" id={`clinic-${clinic.id}`} data-clinic={clinic.id}>
      <div class="clinic-head">
        <h2>{clinic.name}</h2>
        <code>{clinic.id}</code>
        <span class="badge">{clinic.delivery.mode}</span>
        <StatusBadges clinic={clinic} stats={stats.ok ? stats.body : null} />
        <span class="muted">
          {pushEnabled(clinic) && host !== "" ? `HIS ${host} · ` : ""}times in {clinic.timezone}
        </span>
        <a class="muted" href={`${OPS_PATH}?clinic=${clinic.id}`}>
          only this clinic
        </a>
      </div>

      {stats.ok ? (
        <>
          {pushEnabled(clinic) ? (
            <>
              <div class="figures">
                <Figure label="Queue depth" value={stats.body.depth} field="depth" alert={stats.body.depth > 0} />
                <Figure label="Oldest undelivered" value={formatAge(stats.body.oldestUndeliveredAgeSeconds)} field="oldest" />
                <Figure label="Dead letters" value={stats.body.counts.dead ?? 0} field="dead" alert={(stats.body.counts.dead ?? 0) > 0} />
                <Figure label="Failures in a row" value={stats.body.circuit.consecutiveFailures} field="failures" />
              </div>
              <p class="muted">
                Outbox by state: {countsText(stats.body.counts)}
                {stats.body.circuit.nextProbeAt !== null && stats.body.circuit.state === "open" ? ` · next probe ${formatTime(stats.body.circuit.nextProbeAt, clinic.timezone)}` : ""}
              </p>
            </>
          ) : null}
          {pullEnabled(clinic) ? <PullSection stats={stats.body} /> : null}
        </>
      ) : (
        <LoadError result={stats} />
      )}

      {pushEnabled(clinic) ? (
        <>
          <h3>Dead letters</h3>
          <DeadLetters view={props.view} form={props.form} />
        </>
      ) : null}

      <h3>Latest quarantined requests</h3>
      <Quarantine view={props.view} form={props.form} />

      <h3>Latest events</h3>
      <Events view={props.view} />
    </section>
  );
}

/** Renders the dashboard: an overview table of every clinic, then one section per clinic. */
export function DashboardPage(props: { nonce: string; csrf: string; views: ClinicView[]; focus: string | null; notice: Notice | null; renderedAt: Date }) {
  const form: FormContext = { csrf: props.csrf, focus: props.focus };
  const headerRight = (
    <>
      <span class="meta">
        Updated {props.renderedAt.toISOString().slice(11, 19)} UTC · reloads every {REFRESH_SECONDS} s
      </span>
      <form method="post" action={`${OPS_PATH}/logout`}>
        <HiddenFields form={form} />
        <button type="submit">Log out</button>
      </form>
    </>
  );
  return (
    <Layout title="Operations · Chup edge gateway" nonce={props.nonce} autoRefresh headerRight={headerRight}>
      <NoticeBanner notice={props.notice} />
      {props.focus !== null ? (
        <p class="muted">
          Showing clinic <code>{props.focus}</code> only. <a href={OPS_PATH}>Show every clinic</a>
        </p>
      ) : null}
      {props.views.length === 0 ? (
        <p class="empty">No clinic is configured. Create one with {"PUT /admin/v1/clinics/{clinicId}"}.</p>
      ) : (
        <>
          <Overview views={props.views} />
          {props.views.map((view) => (
            <ClinicSection view={view} form={form} />
          ))}
        </>
      )}
    </Layout>
  );
}
